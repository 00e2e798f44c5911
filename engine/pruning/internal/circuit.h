#pragma once
// From scores to circuits: exact top-k over the relevant kernels, dead-end removal, bias
// modes, and the circuit's forward pass as weight overrides.
#include <map>

#include <torch/torch.h>

#include "engine/core/error.h"
#include "engine/core/options.h"
#include "engine/model/internal/kernel_graph.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/scoring.h"

namespace cx::engine {

struct CircuitOptions {
    double sparsity = 0.1;  // fraction of relevant units kept, in (0, 1]
    bool minmax = false;    // min-max normalise scores within each layer before ranking
    BiasMode bias = BiasMode::Masked;
    bool perLayerQuota = false;  // every layer keeps round(sparsity x its relevant units), ranked within it
    double cumulative = 0.0;     // in (0, 1]: keep the fewest top units holding this share of the total score
};

struct Circuit {
    int targetLayer = -1;
    std::vector<int64_t> targetRows;
    std::map<int, torch::Tensor> kept;       // layer -> bool unit grid (granularity of the scores)
    std::map<int, torch::Tensor> effective;  // kept units on an input-to-target path
    double sparsity = 0.0;
    int64_t relevant = 0, requested = 0, keptCount = 0, effectiveCount = 0;
    bool disconnected = false;
    BiasMode bias = BiasMode::Masked;
};

/// Keeps exactly k = round(sparsity * relevant) units (at least 1) by global top-k; ties go
/// to the earlier layer, then the lower index, so the result is deterministic. With a per-layer
/// quota the top-k runs within each layer; with a cumulative threshold k is the smallest count
/// whose top scores sum to that share of all relevant scores (the sparsity is then reported).
Result<Circuit> selectCircuit(const Model& model, const UnitScores& scores, const CircuitOptions& options);

/// The top `count` relevant units by global rank (as selectCircuit ranks them: stable, ties to
/// the earlier layer and lower index; min-max normalised per layer when asked), no dead-end
/// removal: layer -> bool unit grid. FORCE's intermediate masks.
std::map<int, torch::Tensor> topUnits(const UnitScores& scores, int64_t count, bool minmax);

/// The circuit's function, one definition for curves, scatter, diagrams and evaluation:
/// masked mode keeps every kept unit and every bias; pruned mode keeps the effective units only
/// and removes each filter with no effective kernel whole (its bias, and the shift of the
/// batch-norm that follows it).
struct Overrides {
    std::vector<std::string> params;
    std::vector<torch::Tensor> tensors;
};
Overrides circuitOverrides(const Model& model, const Circuit& circuit, const std::string& device = "cpu");

/// Dead-end removal: the kept units on an input-to-target path (Circuit::effective), counts and
/// the disconnected flag.
void findEffective(const Model& model, Circuit& circuit, Granularity granularity,
                   const std::map<int, torch::Tensor>& kernelRelevant);

/// A circuit from a mask file's kept units and its target (dead ends found again).
Result<Circuit> circuitFromMasks(const Model& model, const std::map<int, torch::Tensor>& kept, Granularity granularity,
                                 const TargetSpec& target, BiasMode bias);

/// min-max normalised copy of per-layer scores over their relevant kernels.
std::map<int, torch::Tensor> minMaxNormalised(const UnitScores& scores);

}  // namespace cx::engine
