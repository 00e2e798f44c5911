#pragma once
// The value types of circuit pruning (requests, reports, preservation-curve points), without
// its entry points: what widgets may include. Plain C++, no torch.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/options.h"
#include "engine/data/images.h"

namespace cx::engine {

/// What to score, on the open model (a Workspace) or on a model file (ScoreRequest).
struct ScoreSpec {
    std::string images;
    ImageOptions imageOptions;
    std::string target;               // LAYER:UNIT, or LAYER with directionFile
    std::string directionFile;        // numbers separated by spaces, commas or newlines
    std::string objective = "sum-abs";
    Criterion criterion = Criterion::ActGrad;
    Granularity granularity = Granularity::Kernel;
    int64_t batchSize = 32;
    uint64_t seed = 0;
    double sparsity = 0.0;  // FORCE: the circuit size its schedule prunes towards (recorded in the file)
    bool minmax = false;    // FORCE: rank its steps with per-layer min-max, as the circuit will be
};

/// `cx score`: a ScoreSpec on a model file, written to `out`.
struct ScoreRequest : ScoreSpec {
    std::string model, out;
};

struct LayerCount {
    std::string layer;
    int64_t relevant = 0, kept = 0, effective = 0;
};

struct ScoreReport {
    int64_t relevant = 0, images = 0;
    std::vector<LayerCount> layers;
};

/// How to select a circuit from scores.
struct PruneSpec {
    double sparsity = 0.1;        // 0: the sparsity a FORCE scores file was made for
    bool minmax = false;
    BiasMode bias = BiasMode::Masked;
    bool perLayerQuota = false;   // each layer keeps the same fraction of its relevant units
    double cumulative = 0.0;      // > 0: keep the top units holding this share of the total score
};

/// `cx prune`: a PruneSpec on a scores file of a model file, written to `out`.
struct PruneRequest : PruneSpec {
    std::string model, scores, out;
};

struct PruneReport {
    double sparsity = 0.0;
    int64_t relevant = 0, kept = 0, effectiveKept = 0;
    bool disconnected = false;
    std::vector<LayerCount> layers;
};

struct SweepRequest {
    std::string model, images, evalImages, out;  // evalImages empty: the scoring images
    ImageOptions imageOptions;
    std::string target, directionFile, objective = "sum-abs";
    std::string units;  // a population of the target layer's units ("0-47", "all"); empty: one target
    std::string shard;  // "i/n": only this shard of the units (population.h: shardOf)
    std::vector<Criterion> criteria = allCriteria();
    std::vector<double> sparsities;  // empty: the 13 default levels
    PearsonMode pearson = PearsonMode::Flattened;
    Granularity granularity = Granularity::Kernel;
    bool minmax = false;
    BiasMode bias = BiasMode::Masked;
    int64_t batchSize = 32;
    uint64_t seed = 0;
};

struct CurvePoint {
    Criterion criterion = Criterion::ActGrad;
    double sparsity = 0.0;
    int64_t relevant = 0, kept = 0, effectiveKept = 0;
    bool disconnected = false;
    double pearson = 0.0, dfnorm = 0.0;
    int64_t unit = -1;  // a population sweep's unit (-1: a single target)
};

}  // namespace cx::engine
