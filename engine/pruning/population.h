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
/// Duplicates, empty items and units outside 0..count-1 are errors naming them after `option`
/// (how the spec was given: "--units 3-1: ...").
Result<std::vector<int64_t>> parseUnits(const std::string& spec, int64_t count, const std::string& option = "--units ");

/// Shard `index` of `count` (0-based, "2/4"): the contiguous part of `units` it runs, the first
/// `units % count` shards one unit longer. Shards joined in order are the whole list.
Result<std::vector<int64_t>> shardOf(const std::vector<int64_t>& units, const std::string& shard);

/// `cx merge`: shard outputs joined, in the order given, into exactly what the unsharded run
/// writes - sweep CSVs (the same header; rows one after another) or cx-population/1 scores files
/// (the same model, target and settings; rows stacked along the unit axis). A unit in two shards,
/// a different header or setting, or a mix of kinds is refused naming the file.
Status mergeShards(const std::vector<std::string>& inputs, const std::string& out);

/// `cx score MODEL --target LAYER --units SPEC`: the ScoreSpec's target is a layer.
struct PopulationScoreRequest : ScoreSpec {
    std::string model, out, units;
    std::string shard;  // "i/n": only this shard of the units (empty: all)
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
