#pragma once
// A threshold-style unit's signature (seed 004): its inputs, weights and bias, and the excited
// states over the inputs that can change its output. Inputs that never can are left out - zero
// weights, dummies found in the enumeration, and, past the exact fan-in limit, the smallest inputs
// when their total |w| is below the margin of the rest (then still exact). Otherwise the
// signature is approximate and says so. Plain C++.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/equiv/excited_states.h"

namespace cx::engine {

/// One unit: excited when sum_{inputs on} w_i + bias > threshold (inputs on/off).
struct ThresholdUnit {
    std::string name;              // "layer:unit"
    int64_t id = 0;                // its output channel: what the next layer's inputs name it by
    std::vector<int64_t> inputs;   // input ids (the previous layer's channels), distinct
    std::vector<double> weights;   // one per input
    double bias = 0.0;
};

struct SignatureOptions {
    double threshold = 0.0;        // the activation threshold (ReLU: 0)
    double epsilon = 1e-6;         // relative to sum |w| + |bias| + |threshold|: sums this near the threshold are ambiguous
    int maxExactFanIn = 24;        // inputs enumerated exactly (at most kMaxEnumeratedInputs)
    int samples = 4096;            // subsets drawn for approximate comparisons
    uint64_t seed = 0;
    std::string device = "cpu";    // "cuda": enumerate on the GPU
};

struct Signature {
    std::string name;
    int64_t id = 0;
    bool exact = true;
    std::vector<int64_t> inputs;   // the relevant inputs, ascending (approximate: every non-zero input)
    std::vector<double> weights;
    double bias = 0.0;
    double threshold = 0.0;
    double epsilon = 0.0;          // absolute
    ExcitedStates states;          // exact: over `inputs`
    std::vector<int64_t> chow;     // exact: per input
    int64_t droppedInputs = 0;     // left out as unable to change the output
    double droppedBound = 0.0;     // their total |w| where the margin proved it (0: dummies or zeros)
    std::string note;              // approximate: why
};

/// The unit's signature. Cancel between enumeration blocks; InvalidInput for a bad unit
/// (inputs and weights of different lengths, repeated inputs, non-finite numbers).
Result<Signature> signatureOf(const ThresholdUnit& unit, const SignatureOptions& options, JobContext& job);

/// `unit` with only the inputs in `keep` (the others held off).
ThresholdUnit restrictedTo(const ThresholdUnit& unit, const std::vector<int64_t>& keep);

/// sum_{i in on} w_i + bias - threshold over the signature's inputs (ids it does not hold add 0):
/// excited when > 0, ambiguous when within its epsilon.
double excitation(const Signature& signature, const std::vector<int64_t>& on);

}  // namespace cx::engine
