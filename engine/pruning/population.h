#pragma once
// Populations: many units of one layer in one run (`cx score --units`), their forward passes
// shared (one truncated forward per batch, one backward per unit) and the images read once.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/pruning/pruning_types.h"

namespace cx::engine {

/// "0-63", "3,7,9", "0-3,8", "all" over a layer of `count` units: the units in the order given.
/// Duplicates, empty items and units outside 0..count-1 are errors naming them.
Result<std::vector<int64_t>> parseUnits(const std::string& spec, int64_t count);

/// `cx score MODEL --target LAYER --units SPEC`: the ScoreSpec's target is a layer.
struct PopulationScoreRequest : ScoreSpec {
    std::string model, out, units;
};

struct PopulationReport {
    std::string layer;
    std::vector<int64_t> units;
    std::vector<int64_t> relevant;  // per unit
    int64_t images = 0;
};

/// Scores every unit and writes one cx-population/1 file (circuit_files.h), atomically.
Result<PopulationReport> runPopulationScore(const PopulationScoreRequest& request, JobContext& job);

}  // namespace cx::engine
