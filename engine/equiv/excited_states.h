#pragma once
// Seed 004's "excited states" of a threshold-style unit: with each input on (1) or off (0), the
// subsets S of its inputs for which sum_{i in S} w_i + b > threshold. Enumerated exactly as a
// bitset of 2^n bits (bit S for the subset whose members are S's set bits), n up to
// kMaxEnumeratedInputs; the subsets whose sum lies within epsilon of the threshold are marked
// ambiguous, so that two units are compared up to rounding. Plain C++: no torch in the header.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"

namespace cx::engine {

/// The largest fan-in enumerated at all (2^30 bits is 128 MiB a bitset); the default limit of
/// exact signatures is lower (SignatureOptions::maxExactFanIn).
constexpr int kMaxEnumeratedInputs = 30;

struct ExcitedStates {
    int inputs = 0;
    std::vector<uint64_t> excited;    // ceil(2^n / 64) words; bits past 2^n are 0
    std::vector<uint64_t> ambiguous;  // |sum + b - threshold| <= epsilon
    double margin = 0.0;              // min over subsets of |sum + b - threshold|
    int64_t excitedCount = 0;

    bool bit(uint64_t subset) const { return (excited[subset >> 6] >> (subset & 63)) & 1u; }
    bool isAmbiguous(uint64_t subset) const { return (ambiguous[subset >> 6] >> (subset & 63)) & 1u; }
};

/// Every subset of `weights` (at most kMaxEnumeratedInputs) evaluated against `threshold`:
/// in blocks of 4,096 subsets whose low-input sums are shared, split over the CPU's cores, or on
/// the GPU when `device` is "cuda" (the same bits: sums in double either way). Cancel between
/// blocks. InvalidInput past the limit or for a non-finite weight.
Result<ExcitedStates> enumerateExcitedStates(const std::vector<double>& weights, double bias, double threshold,
                                             double epsilon, JobContext& job, const std::string& device = "cpu");

/// Per input, how many excited subsets hold it (Chow's parameters without the constant term; with
/// excitedCount they determine a threshold function among threshold functions).
std::vector<int64_t> chowParameters(const ExcitedStates& states);

/// Whether input `i` never changes the output. Strict: a subset on the threshold counts as it was
/// computed (not excited), so an input that only moves a sum onto the threshold is not a dummy.
bool isDummyInput(const ExcitedStates& states, int i);

/// Whether two enumerations of the same number of inputs agree on every subset that neither
/// marks ambiguous.
bool sameExcitedStates(const ExcitedStates& a, const ExcitedStates& b);

}  // namespace cx::engine
