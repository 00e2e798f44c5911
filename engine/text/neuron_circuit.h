#pragma once
// A language-model neuron's circuit (seed 002's pruning on seed 003's neurons): the kernels that
// matter for the neuron's value on its own top examples, scored with the per-example objective
// "max over positions" (the value each example was ranked by), pruned to a sparsity; then the
// neuron read again in the circuit, on the model's top examples and over the whole corpus, so the
// two can be compared. Plain C++: the GUI includes it.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/core/options.h"
#include "engine/model/workspace.h"
#include "engine/pruning/pruning_types.h"
#include "engine/text/token_examples.h"

namespace cx::engine {

struct NeuronCircuitSpec {
    std::string layer;
    int64_t unit = -1;
    Criterion criterion = Criterion::ActGrad;     // not FORCE (it scores one input set as a whole)
    Granularity granularity = Granularity::Kernel;
    double sparsity = 0.05;                       // of the relevant kernels (weights of linear layers)
    int64_t examples = 0;                         // how many of the top examples to score on (0: all given)
    bool compareOverCorpus = true;                // also rank the corpus in the circuit (one more pass)
};

struct NeuronCircuit {
    ScoresHandle scores;
    MaskHandle mask;
    PruneReport prune;
    int64_t windows = 0, tokens = 0;              // scored on
    /// The circuit's value at the anchor of each of the model's top examples (their order).
    std::vector<double> onModelExamples;
    /// The circuit's own top examples over the corpus (as many as the model's; empty when not asked).
    TokenUnitExamples circuitTop;
};

/// Scores `spec.layer:spec.unit` on the windows of `top` (the model's top examples of that unit
/// in `corpus`). Windows of one length are scored together and the per-example scores summed over
/// the lengths: exactly what one pass over all of them would give, since every data-dependent
/// criterion sums per-example scores. Progress stages: "score", "prune", "circuit"; cancel
/// between batches.
Result<NeuronCircuit> neuronCircuit(Workspace& workspace, const TokenCorpus& corpus, const TokenUnitExamples& top,
                                    const NeuronCircuitSpec& spec, JobContext& job);

}  // namespace cx::engine
