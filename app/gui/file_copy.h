#pragma once
// Copying a file out of the session (Save Mask, Save Scores, Save Project).
#include <QString>

namespace cx::app {

/// Copies `from` to `to` with the engine's atomic writer: `to` is never half written, what is not
/// a regular file is never replaced, and an existing file keeps its mode. Nothing is done when
/// both name the same file. Empty on success, else the reason.
QString copyFileAtomically(const QString& from, const QString& to);

}  // namespace cx::app
