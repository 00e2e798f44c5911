#pragma once
// Minimal activating examples (seed 003): a dataset example pruned to the shortest substring that
// still activates the neuron at its anchor token nearly as much. The sentence holding the anchor
// first; then tokens removed from the end, then from the start, keeping the shortest substring
// whose anchor value has dropped by at most `maxDrop` of the original; optionally `window` tokens
// kept either side of the anchor. Every substring is read as a text of its own (framed as the
// tokenizer's models read documents: [BOS] first for the project's tokenizer). Plain C++.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/text/neuron_reader.h"
#include "engine/text/token_corpus.h"
#include "engine/text/tokenizer.h"

namespace cx::engine {

struct MaeOptions {
    double maxDrop = 0.6;   // the seed's x: a substring passes when value >= original - maxDrop * |original|
    int64_t window = 0;     // the seed's w: tokens always kept either side of the anchor
};

struct MinimalExample {
    std::vector<int64_t> example;   // the dataset example's tokens (a corpus window)
    int64_t anchor = 0;             // the anchor's position in `example`
    double original = 0.0;          // the neuron's value there
    int64_t begin = 0, end = 0;     // the MAE: example[begin, end), framing not included
    double value = 0.0;             // the anchor's value when the MAE is read alone
    double ratio = 0.0;             // value / original
    bool fromSentence = true;       // false: the sentence alone lost the activation; pruned from the whole example
    int64_t evaluations = 0;        // substrings read

    std::vector<int64_t> ids() const { return {example.begin() + begin, example.begin() + end}; }
};

/// The MAE of one example for the `unitIndex`-th unit of `neuron`. Refused: an anchor outside
/// the example, options outside their ranges.
Result<MinimalExample> minimalExample(const NeuronReader& neuron, size_t unitIndex, const Tokenizer& tokenizer,
                                      const std::vector<int64_t>& example, int64_t anchor, const MaeOptions& options);

/// What the model reads for a substring: the framing's opening token, then the tokens (a
/// substring that already opens with it is left as it is). `anchorAt` becomes its index there.
std::vector<int64_t> readAlone(const Framing& framing, const std::vector<int64_t>& tokens, int64_t& anchorAt);

}  // namespace cx::engine
