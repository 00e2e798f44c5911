#pragma once
// Seed 004's regular-language view: a unit written as a string of tokens, its kept connections
// above a share of its strongest, strongest first, and two units compared by the similarity of
// their strings - a cheap prefilter before exact matching, never a proof. Two alphabets: `i->j`
// tokens name the connection (for two circuits of one model); shape tokens keep only each
// weight's sign and size class, so they survive a permutation of the inputs. Plain C++.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/equiv/signature.h"

namespace cx::engine {

struct StringOptions {
    double minShare = 0.1;      // connections with |w| >= minShare x the unit's largest |w|
    int maxTokens = 32;         // strongest first
    bool permutationInvariant = false;  // shape tokens instead of i->j
};

/// The unit's tokens: "+3->7" (input 3 to unit 7, positive) or, permutation-invariant, "+4"
/// (positive, |w| in the top quarter of the unit's largest; 1 is the lowest quarter); then the
/// bias as "b+" or "b-" relative to the threshold 0.
std::vector<std::string> unitTokens(const ThresholdUnit& unit, const StringOptions& options);

/// A layer as text: one line per unit, "name: token token ...".
std::string layerString(const std::vector<ThresholdUnit>& units, const StringOptions& options);

/// 1 - (token edit distance) / (longer length): 1 for equal strings, 0 for nothing in common.
double stringSimilarity(const std::vector<std::string>& a, const std::vector<std::string>& b);

/// Row i, column j: the similarity of A's unit i and B's unit j.
std::vector<std::vector<double>> similarityMatrix(const std::vector<ThresholdUnit>& a, const std::vector<ThresholdUnit>& b,
                                                  const StringOptions& options);

}  // namespace cx::engine
