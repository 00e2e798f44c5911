#pragma once
// Preservation curves: for each criterion, scores once (FORCE: one iterative run for all
// levels), then one circuit per sparsity, evaluated against the original activations, which
// are computed once for the whole sweep.
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/error.h"
#include "engine/internal/circuit.h"
#include "engine/internal/preservation.h"
#include "engine/job.h"
#include "engine/model.h"

namespace cx::engine {

struct SweepPoint {
    std::string criterion;
    double sparsity = 0.0;
    int64_t relevant = 0, kept = 0, effectiveKept = 0;
    bool disconnected = false;
    double pearson = 0.0;  // |Pearson r|; 0 for a disconnected circuit
    double dfnorm = 0.0;
};

struct SweepSettings {
    TargetSpec target;
    std::vector<std::string> criteria;  // actgrad, snip, force, magnitude, random
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

Result<std::vector<SweepPoint>> sweepCircuits(const Model& model, const torch::Tensor& scoreImages,
                                              const torch::Tensor& evalImages, const SweepSettings& settings,
                                              JobContext& job);

}  // namespace cx::engine
