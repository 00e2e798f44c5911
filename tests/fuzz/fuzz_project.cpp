// libFuzzer: the project reader on any bytes: a project or an error, never a crash; and what it
// reads writes out and reads back to the same model and masks.
#include <cstdint>
#include <cstdlib>

#include <QByteArray>
#include <QDir>

#include "app/gui/project_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const QDir base(QStringLiteral("/tmp/cx-fuzz-project"));
    cx::app::ProjectState state;
    QString error;
    const QByteArray json(reinterpret_cast<const char*>(data), int(size));
    if (!cx::app::readProjectJson(json, base, state, error)) return 0;
    cx::app::ProjectState again;
    if (!cx::app::readProjectJson(cx::app::projectJson(state, base), base, again, error)) std::abort();
    if (again.model != state.model || again.masks.size() != state.masks.size()) std::abort();
    return 0;
}
