#pragma once
// FORCE (de Jorge et al., "Progressive skeletonization"): iterative SNIP on the progressively
// masked network, one schedule per circuit size.
#include <vector>

#include "engine/pruning/internal/scoring.h"

namespace cx::engine {

struct ForceOptions {
    bool minmax = false;  // rank every step as the final circuit is ranked (per-layer min-max)
    int steps = 10;       // T
};

/// The keep counts k_1..k_T = exp((t/T) ln k + (1 - t/T) ln m) (k_0 = m is the full network).
std::vector<int64_t> forceSchedule(int64_t relevant, int64_t finalCount, int steps);

/// FORCE towards each circuit size k = round(sparsity x m), each on its own schedule from all m
/// relevant units: s_0 = SNIP of the full network; for t = 1..T-1 the mask keeps the top k_t
/// of s_{t-1} (the circuit's own ranking: stable, min-max when asked) and s_t is SNIP through
/// that mask, masked units re-scored so they can come back. The FORCE circuit of size k is
/// the top k of the returned s_{T-1} (what selectCircuit keeps at that sparsity). s_0 is shared
/// by every size and sizes with the same k are computed once; no size depends on another.
/// `options.criterion` is ignored (SNIP). Cancel and progress at every scoring pass.
Result<std::vector<UnitScores>> forceScores(const Model& model, const torch::Tensor& images, const ScoreOptions& options,
                                              const std::vector<double>& sparsities, const ForceOptions& force,
                                              JobContext& job);

}  // namespace cx::engine
