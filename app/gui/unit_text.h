#pragma once
// A unit as the tabs write it: "LAYER:UNIT" (the layer may itself hold colons).
#include <cstdint>

#include <QString>

namespace cx::app {

/// "features.conv4:27" -> "features.conv4" and 27; false unless the text is LAYER:N with N >= 0.
inline bool splitUnit(const QString& text, QString& layer, int64_t& unit) {
    if (!text.contains(QLatin1Char(':'))) return false;
    bool ok = false;
    unit = text.section(QLatin1Char(':'), -1).toLongLong(&ok);
    layer = text.section(QLatin1Char(':'), 0, -2);
    return ok && unit >= 0 && !layer.isEmpty();
}

}  // namespace cx::app
