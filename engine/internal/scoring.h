#pragma once
// One scoring pass over an image set: kernel saliency for every layer that can reach the
// target, with relevance applied (irrelevant kernels score 0).
#include <map>
#include <vector>

#include <torch/torch.h>

#include "engine/error.h"
#include "engine/job.h"
#include "engine/model.h"
#include "engine/target.h"

namespace cx::engine {

enum class Criterion { ActGrad, Snip, Magnitude, Random };

const char* criterionName(Criterion criterion);
Result<Criterion> parseCriterion(const std::string& text);

struct ScoreOptions {
    TargetSpec target;
    Criterion criterion = Criterion::ActGrad;
    int64_t batchSize = 32;
    uint64_t seed = 0;  // Random criterion
    std::string device = "cpu";
};

struct KernelScores {
    int targetLayer = -1;
    std::vector<int64_t> targetRows;
    std::map<int, torch::Tensor> scores;    // layer -> float32 O x Ipg (CPU)
    std::map<int, torch::Tensor> relevant;  // layer -> bool O x Ipg (CPU)
    int64_t relevantCount = 0;
    int64_t images = 0;
};

/// The target rows: the unit, or the channels with a non-zero direction coefficient.
std::vector<int64_t> targetRows(const TargetSpec& target);

/// Per-image objective L_n from the target layer's output y (N x C x ... or N x ... x C).
torch::Tensor perImageObjective(const LayerInfo& targetLayer, const TargetSpec& target, const torch::Tensor& y);

/// Scores every relevant kernel. Cancel and progress at batch granularity.
Result<KernelScores> scoreKernels(const Model& model, const torch::Tensor& images, const ScoreOptions& options,
                                  JobContext& job);

}  // namespace cx::engine
