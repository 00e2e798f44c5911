#pragma once
// A target's activations in the model and in a circuit, for the activation scatter.
#include <cstddef>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/model/workspace.h"

namespace cx::engine {

/// The target's activations over the images (flattened images x positions, subsampled evenly to
/// at most `maxPoints`) in the original model and in the circuit, for the activation scatter.
struct ActivationPairs {
    std::vector<float> original, circuit;
    double pearson = 0.0;  // |Pearson r| over all values (before subsampling)
};

/// Activations of `target` (LAYER:UNIT, or LAYER with a direction file) over the images, in the
/// model and under the mask (any granularity; pruned circuits use the bias mode recorded in the file).
Result<ActivationPairs> circuitActivations(Workspace& workspace, const std::string& images, const Mask& mask,
                                           const std::string& target, JobContext& job, size_t maxPoints = 20000,
                                           const std::string& directionFile = "");
Result<ActivationPairs> circuitActivations(const std::string& model, const std::string& images, const std::string& mask,
                                           const std::string& target, JobContext& job, size_t maxPoints = 20000,
                                           const std::string& directionFile = "");

}  // namespace cx::engine
