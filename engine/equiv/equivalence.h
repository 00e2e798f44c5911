#pragma once
// Seed 004's equivalence and containment, made exact where the seed was not: two units are
// equivalent when the same input subsets excite them - with the same inputs, or up to a
// permutation of the inputs (found, not assumed: the seed sorted the weights and so lost which
// input each belonged to). A layer is a sublayer of another when a matching (one unit of B for
// each unit of A, none used twice) pairs equivalent units; a network is contained in another when
// consecutive layers are, in order, each layer's inputs mapped by the matching of the layer
// before. Plain C++.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/equiv/signature.h"

namespace cx::engine {

enum class InputMatch {
    Same,        // input i of A is input i of B (two circuits of one model)
    Permuted     // any bijection between A's and B's relevant inputs
};

struct UnitComparison {
    bool equal = false;
    bool exact = true;                                   // false: from sampled subsets
    std::vector<std::pair<int64_t, int64_t>> inputMap;   // A's input -> B's input (Permuted; identity for Same)
    std::string reason;                                  // why not, when not equal
};

/// Compares two signatures. Same: equal relevant inputs and excited states. Permuted: equal
/// fan-in, excited count and sorted Chow parameters, the inputs paired in Chow order (for
/// threshold functions tied Chow parameters mean interchangeable inputs), then the pairing checked
/// by enumerating B under it - a reported match is always verified. An approximate signature on
/// either side compares `options.samples` subsets (paired by weight rank when Permuted).
Result<UnitComparison> compareUnits(const Signature& a, const Signature& b, InputMatch mode, const SignatureOptions& options,
                                    JobContext& job);

struct LayerMatching {
    std::vector<std::pair<size_t, size_t>> pairs;  // (index in A, index in B), A's order
    std::vector<UnitComparison> comparisons;       // of each pair
    std::vector<size_t> unmatched;                 // A's units with no partner
    bool contained = false;                        // every unit of A matched
    bool exact = true;                             // every pair exact
    int64_t compared = 0;                          // unit pairs compared (after the prefilter)
    int64_t candidates = 0;                        // unit pairs that passed the prefilter
    double enumeratedSubsets = 0.0;                // sum of 2^fan-in over the signatures made
    bool alternatives = false;                     // some unit of A had more than one equivalent in B
};

/// A matching of A's units into B's: compares every pair that passes a cheap prefilter (same
/// inputs: B's unit holds A's relevant inputs; permuted: equal fan-in, count and Chow profile),
/// then a maximum bipartite matching. `contains`: B's units are read with only A's inputs on
/// (every other input held off), so a unit is found inside a larger one; otherwise the two must
/// be the same function. `inputMap` (not null) renames A's inputs into B's before comparing (the
/// matching of the layer below); A inputs it lacks stay A's own and fail where they matter.
/// `similarity` (A x B, unit_strings.h) skips the pairs below `minSimilarity`: faster, and a
/// match it skips is lost. Progress "signatures", "compare"; cancel between units; InvalidInput
/// when the signatures would need more than `memoryBudget` bytes.
Result<LayerMatching> matchLayer(const std::vector<ThresholdUnit>& a, const std::vector<ThresholdUnit>& b, InputMatch mode,
                                 bool contains, const SignatureOptions& options, JobContext& job,
                                 const std::vector<std::pair<int64_t, int64_t>>* inputMap = nullptr,
                                 double memoryBudget = double(1u << 30), const std::vector<std::vector<double>>* similarity = nullptr,
                                 double minSimilarity = 0.0);

struct NetworkContainment {
    bool contained = false;
    bool exhaustive = true;                // no layer tried had alternative matchings: "not contained" is certain
    size_t offset = 0;                     // B's layer that A's first layer matched
    std::vector<LayerMatching> layers;     // one per A layer tried, in order
};

/// Whether A's layers sit in B's as consecutive sublayers in order: A's first layer against each
/// of B's layers with `firstLayer` input matching, the next ones with their inputs mapped by the
/// layer below's matching (with Same inputs, channels of units A does not hold map to themselves;
/// `contains` as matchLayer). One matching is followed per layer (a
/// unit's namesake preferred): "contained" is always true when reported; "not contained" is
/// certain only when `exhaustive` (no layer had alternatives). The first offset that holds, else
/// the one that went furthest.
Result<NetworkContainment> containNetwork(const std::vector<std::vector<ThresholdUnit>>& a,
                                          const std::vector<std::vector<ThresholdUnit>>& b, InputMatch firstLayer, bool contains,
                                          const SignatureOptions& options, JobContext& job);

}  // namespace cx::engine
