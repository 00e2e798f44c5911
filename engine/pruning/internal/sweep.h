#pragma once
// Preservation curves: for each criterion, scores once (FORCE: one iterative run for all
// levels), then one circuit per sparsity, evaluated against the original activations, which
// are computed once for the whole sweep.
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/circuit.h"
#include "engine/pruning/internal/preservation.h"
#include "engine/pruning/pruning.h"

namespace cx::engine {

struct SweepSettings {
    TargetSpec target;
    std::vector<Criterion> criteria;
    std::vector<double> sparsities;
    PearsonMode pearson = PearsonMode::Flattened;
    bool minmax = false;
    BiasMode bias = BiasMode::Masked;
    int64_t batchSize = 32;
    uint64_t seed = 0;
    std::string device = "cpu";
    Granularity granularity = Granularity::Kernel;
};

/// The 13 levels of DESIGN.md: 0.9 .. 0.001.
const std::vector<double>& defaultSparsities();

Result<std::vector<CurvePoint>> sweepCircuits(const Model& model, const torch::Tensor& scoreImages,
                                              const torch::Tensor& evalImages, const SweepSettings& settings,
                                              JobContext& job);

/// Curves for many units of the target layer (`settings.target` names the layer): the original
/// activations from one forward, ActGrad and SNIP scores from shared passes (scorePopulation),
/// then each unit's circuits as in sweepCircuits. Points are ordered by unit, then criterion and
/// sparsity, and each unit's equal its own sweepCircuits exactly.
Result<std::vector<CurvePoint>> sweepPopulation(const Model& model, const torch::Tensor& scoreImages,
                                                const torch::Tensor& evalImages, const SweepSettings& settings,
                                                const std::vector<int64_t>& units, JobContext& job);

}  // namespace cx::engine
