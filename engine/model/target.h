#pragma once
// What a circuit computes: a target feature (a unit of a layer's output, or a direction over
// its channels) and the per-image objective that turns its activation map into one number.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/model/layer_info.h"

namespace cx::engine {

enum class Objective {
    SumAbs,    // sum over positions of |f| (default; the paper's choice)
    Max,       // max over positions (image-conditional subcircuits)
    Position,  // f at one position (h, w)
    Mean,      // mean over positions
    Sum        // signed sum over positions
};

struct TargetSpec {
    std::string layer;              // layer name, e.g. "features.conv4"
    int64_t unit = -1;              // output channel / unit; -1 when `direction` is used
    std::vector<double> direction;  // coefficients over the layer's output channels (eq. 1)
    Objective objective = Objective::SumAbs;
    int64_t positionH = 0, positionW = 0;  // for Objective::Position (W ignored for 1-d maps)

    /// "features.conv4:12" or "features.conv4" (with a direction).
    std::string text() const;
};

/// Parses "LAYER:UNIT" (or "LAYER" when a direction will be given).
Result<TargetSpec> parseTarget(const std::string& text);
/// Parses "sum-abs", "max", "mean", "sum" or "position:H,W" into `target`.
Status parseObjective(const std::string& text, TargetSpec& target);
const char* objectiveName(Objective objective);
std::string objectiveText(const TargetSpec& target);  // "position:3,4" etc.

/// Checks the target against a model: the layer exists (else the message lists the layers),
/// the unit is in range, a direction has one coefficient per output channel and is not zero,
/// and the layer can be probed. Returns the layer index.
Result<int> resolveTarget(const ModelSummary& summary, const TargetSpec& target);

}  // namespace cx::engine
