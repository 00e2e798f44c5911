#pragma once
// One scoring pass over an image set: kernel saliency for every layer that can reach the
// target, with relevance applied (irrelevant kernels score 0).
#include <map>
#include <vector>

#include <torch/torch.h>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/core/options.h"
#include "engine/model/model.h"
#include "engine/model/target.h"
#include "engine/pruning/internal/saliency.h"

namespace cx::engine {

struct ScoreOptions {
    TargetSpec target;
    Criterion criterion = Criterion::ActGrad;
    int64_t batchSize = 32;
    uint64_t seed = 0;  // Random criterion
    std::string device = "cpu";
    Granularity granularity = Granularity::Kernel;
};

/// Scores on the unit grid of a granularity (see saliency.h), for the layers that can reach
/// the target; relevance in both unit and kernel terms (the kernel graph works on kernels).
struct UnitScores {
    int targetLayer = -1;
    std::vector<int64_t> targetRows;
    Granularity granularity = Granularity::Kernel;
    std::map<int, torch::Tensor> scores;          // layer -> float32 unit grid (CPU), 0 where irrelevant
    std::map<int, torch::Tensor> relevant;        // layer -> bool unit grid (CPU)
    std::map<int, torch::Tensor> kernelRelevant;  // layer -> bool O x Ipg (CPU)
    int64_t relevantCount = 0;                    // relevant units
    int64_t images = 0;
};

/// The target rows: the unit, or the channels with a non-zero direction coefficient.
std::vector<int64_t> targetRows(const TargetSpec& target);

/// Per-image objective L_n from the target layer's output y (N x C x ... or N x ... x C).
torch::Tensor perImageObjective(const LayerInfo& targetLayer, const TargetSpec& target, const torch::Tensor& y);

/// Scores every relevant kernel. Cancel and progress at batch granularity. FORCE needs a
/// circuit size and runs its own schedule: see force.h (refused here).
/// `masks` (layer -> bool unit grid) scores the masked network instead, as FORCE does: the
/// gradient is taken at the masked weights and multiplied by the original ones, so masked
/// kernels are re-scored too (SNIP only).
Result<UnitScores> scoreKernels(const Model& model, const torch::Tensor& images, const ScoreOptions& options,
                                  JobContext& job, const std::map<int, torch::Tensor>* masks = nullptr);

/// Scores many units of one layer (`options.target` names the layer; its unit is ignored) from
/// shared passes: per batch one truncated forward, then one backward per unit. Each unit's scores
/// equal scoreKernels for that unit exactly (same operations, same order). Not FORCE.
Result<std::vector<UnitScores>> scorePopulation(const Model& model, const torch::Tensor& images, const ScoreOptions& options,
                                                const std::vector<int64_t>& units, JobContext& job);

}  // namespace cx::engine
