#pragma once
// The application's colour theme: a dark palette (Fusion's roles, darkened), or the system one.

namespace cx::app {

/// Sets the whole application's palette; every view (charts and the diagram too) follows it.
void applyDarkTheme(bool dark);

}  // namespace cx::app
