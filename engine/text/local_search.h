#pragma once
// Local search around a minimal activating example (seed 003): each token that is not a stop word
// is masked in turn and a masked language model's most probable substitutes are put in its place;
// the neuron is read again at the anchor. A substitute whose drop from the MAE's value is below
// `positive` makes a positive example, one above `negative` a negative one. The masked model reads
// the same tokenizer's ids as the neuron's model. Plain C++: the GUI includes it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/text/mae.h"

namespace cx::engine {

class MaskedLanguageModel {
public:
    struct Impl;
    /// A TorchScript masked LM: N x T int64 ids in, N x T x vocabulary logits out. The tokenizer
    /// must have a mask token ([MASK] or <mask>); the model's vocabulary must be the tokenizer's.
    static Result<MaskedLanguageModel> load(const std::string& path, const Tokenizer& tokenizer);
    /// The `n` most probable tokens at `position` of `ids` (with it masked), most probable first,
    /// leaving out `excluded` and the framing, padding and mask tokens.
    Result<std::vector<int64_t>> substitutes(const std::vector<int64_t>& ids, int64_t position, int64_t n,
                                             const std::vector<int64_t>& excluded) const;
    explicit MaskedLanguageModel(std::shared_ptr<Impl> impl) : m_impl(std::move(impl)) {}

private:
    std::shared_ptr<Impl> m_impl;
};

struct LocalSearchOptions {
    double positive = 0.4;  // the seed's y
    double negative = 0.7;  // the seed's z
    int64_t topN = 10;      // substitutes per token
};

enum class SubstituteKind { Positive, Negative, Neither };
const char* substituteKindName(SubstituteKind kind);

struct Substitute {
    int64_t position = 0;          // in the MAE
    int64_t original = 0, replacement = 0;
    std::vector<int64_t> ids;      // the MAE with the replacement
    double value = 0.0;            // the neuron at the anchor
    double drop = 0.0;             // (MAE value - value) / |MAE value|
    SubstituteKind kind = SubstituteKind::Neither;
};

struct LocalSearchResult {
    std::vector<int64_t> ids;      // the MAE
    int64_t anchor = 0;            // in ids
    double value = 0.0;            // the neuron at the anchor, the MAE read alone
    std::vector<int64_t> varied;   // the positions whose substitutes were tried
    std::vector<int64_t> skipped;  // stop words and special tokens, left as they are
    std::vector<Substitute> substitutes;  // by position, then the masked model's order
};

/// Whether `word` (any case, surrounding spaces ignored) is an English stop word (NLTK's list).
bool isStopWord(const std::string& word);

/// The local search around `mae` for the `unitIndex`-th unit of `neuron`. Cancel between tokens.
Result<LocalSearchResult> localSearch(const NeuronReader& neuron, size_t unitIndex, const MaskedLanguageModel& mlm,
                                      const Tokenizer& tokenizer, const MinimalExample& mae,
                                      const LocalSearchOptions& options, JobContext& job);

}  // namespace cx::engine
