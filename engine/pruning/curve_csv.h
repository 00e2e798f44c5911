#pragma once
// Preservation curve points as numbers and text (plain C++: the widgets export with them too).
#include <string>
#include <vector>

#include "engine/pruning/pruning_types.h"

namespace cx::engine {

/// effectiveKept / relevant.
double effectiveSparsity(const CurvePoint& point);
/// One CSV row per point (with a header): what `cx sweep --out` writes and the GUI exports.
std::string curveCsv(const std::vector<CurvePoint>& points);

}  // namespace cx::engine
