#pragma once
// Preservation curve points as numbers and text (plain C++: the widgets export with them too).
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/pruning/pruning_types.h"

namespace cx::engine {

/// effectiveKept / relevant.
double effectiveSparsity(const CurvePoint& point);
/// One CSV row per point (with a header): what `cx sweep --out` writes and the GUI exports.
std::string curveCsv(const std::vector<CurvePoint>& points);
/// Reads what curveCsv writes (a single target's curve, or a population's with its unit column,
/// e.g. merged cluster shards), every field checked; an error names the line and the field.
Result<std::vector<CurvePoint>> parseCurveCsv(const std::string& text);

}  // namespace cx::engine
