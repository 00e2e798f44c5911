#pragma once
// The main window's menu bar (File, View, Compute, Help) and toolbar: each action calls the
// window or one of its controllers through their public API.
class QLabel;

namespace cx::app {

class MainWindow;
class RecentFiles;

/// Builds the menus and the toolbar of `window`; `deviceLabel` shows the device the Compute menu
/// chooses. Returns the Open Recent list (its `chosen` signal is the window's to connect).
RecentFiles* buildMainMenus(MainWindow& window, QLabel* deviceLabel);

}  // namespace cx::app
