#include "engine/text/local_search.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <torch/script.h>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/model/internal/model_probe.h"

namespace cx::engine {

struct MaskedLanguageModel::Impl {
    torch::jit::Module net;
    int64_t mask = -1;
    int64_t vocabulary = 0;
    Framing framing;
    bool closeWithEnd = false;  // BERT reads [CLS] text [SEP]; the demo MLM reads [BOS] text, as in its windows
    std::set<int64_t> never;  // framing, padding and mask tokens
};

namespace {

// NLTK's English stop words (nltk.corpus.stopwords, 179 words), the seed's list.
const std::set<std::string> kStopWords = {
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "you're", "you've", "you'll", "you'd", "your",
    "yours", "yourself", "yourselves", "he", "him", "his", "himself", "she", "she's", "her", "hers", "herself", "it",
    "it's", "its", "itself", "they", "them", "their", "theirs", "themselves", "what", "which", "who", "whom", "this",
    "that", "that'll", "these", "those", "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had",
    "having", "do", "does", "did", "doing", "a", "an", "the", "and", "but", "if", "or", "because", "as", "until",
    "while", "of", "at", "by", "for", "with", "about", "against", "between", "into", "through", "during", "before",
    "after", "above", "below", "to", "from", "up", "down", "in", "out", "on", "off", "over", "under", "again",
    "further", "then", "once", "here", "there", "when", "where", "why", "how", "all", "any", "both", "each", "few",
    "more", "most", "other", "some", "such", "no", "nor", "not", "only", "own", "same", "so", "than", "too", "very",
    "s", "t", "can", "will", "just", "don", "don't", "should", "should've", "now", "d", "ll", "m", "o", "re", "ve",
    "y", "ain", "aren", "aren't", "couldn", "couldn't", "didn", "didn't", "doesn", "doesn't", "hadn", "hadn't",
    "hasn", "hasn't", "haven", "haven't", "isn", "isn't", "ma", "mightn", "mightn't", "mustn", "mustn't", "needn",
    "needn't", "shan", "shan't", "shouldn", "shouldn't", "wasn", "wasn't", "weren", "weren't", "won", "won't",
    "wouldn", "wouldn't"};

}  // namespace

bool isStopWord(const std::string& word) {
    std::string w;
    for (unsigned char c : word)
        if (!std::isspace(c)) w += char(std::tolower(c));
    return kStopWords.count(w) > 0;
}

const char* substituteKindName(SubstituteKind kind) {
    switch (kind) {
        case SubstituteKind::Positive: return "positive";
        case SubstituteKind::Negative: return "negative";
        case SubstituteKind::Neither: break;
    }
    return "neither";
}

Result<MaskedLanguageModel> MaskedLanguageModel::load(const std::string& path, const Tokenizer& tokenizer) {
    initRuntime();
    auto impl = std::make_shared<Impl>();
    for (const char* token : {"[MASK]", "<mask>"})
        if (auto id = tokenizer.idOf(token); id && impl->mask < 0) impl->mask = *id;
    if (impl->mask < 0) return invalidInput("the tokenizer has no mask token ([MASK] or <mask>): a masked language model needs one");
    impl->framing = framingOf(tokenizer);
    impl->closeWithEnd = tokenizer.kind() == Tokenizer::Kind::WordPiece;
    impl->vocabulary = tokenizer.vocabSize();
    impl->never.insert(impl->mask);
    for (const char* token : {"[PAD]", "[BOS]", "[EOS]", "[CLS]", "[SEP]", "[UNK]", "<pad>", "<s>", "</s>", "<unk>", "<|endoftext|>"})
        if (auto id = tokenizer.idOf(token)) impl->never.insert(*id);
    if (auto st = probeModelFile(path); !st) return st.error();
    return guarded<MaskedLanguageModel>("reading the masked language model " + path, [&]() -> Result<MaskedLanguageModel> {
        impl->net = torch::jit::load(path);
        impl->net.eval();
        torch::NoGradGuard noGrad;
        auto probe = impl->net.forward({torch::full({1, 2}, impl->mask, torch::kInt64)});
        if (!probe.isTensor() || probe.toTensor().dim() != 3 || probe.toTensor().size(2) != impl->vocabulary)
            return invalidInput(path + " does not map 1 x 2 token ids to 1 x 2 x " + std::to_string(impl->vocabulary) +
                                " logits (the tokenizer's vocabulary): not a masked language model of this tokenizer");
        return MaskedLanguageModel(impl);
    });
}

Result<std::vector<int64_t>> MaskedLanguageModel::substitutes(const std::vector<int64_t>& ids, int64_t position, int64_t n,
                                                               const std::vector<int64_t>& excluded) const {
    if (position < 0 || position >= int64_t(ids.size())) return invalidInput("no position " + std::to_string(position));
    return guarded<std::vector<int64_t>>("masked language model", [&]() -> Result<std::vector<int64_t>> {
        torch::NoGradGuard noGrad;
        // What the masked model reads: the framing around the text ([BOS] ... for the demo,
        // [CLS] ... [SEP] for BERT), the one position masked.
        int64_t at = position;
        std::vector<int64_t> input = readAlone(m_impl->framing, ids, at);
        if (m_impl->closeWithEnd && m_impl->framing.end) input.push_back(*m_impl->framing.end);
        input[size_t(at)] = m_impl->mask;
        auto logits = m_impl->net.forward({torch::tensor(input, torch::kInt64).unsqueeze(0)}).toTensor();
        auto order = std::get<1>(logits[0][at].to(torch::kFloat32).cpu().sort(/*stable=*/true, 0, /*descending=*/true));
        std::set<int64_t> skip(m_impl->never);
        skip.insert(excluded.begin(), excluded.end());
        std::vector<int64_t> out;
        const auto o = order.accessor<int64_t, 1>();
        for (int64_t i = 0; i < o.size(0) && int64_t(out.size()) < n; ++i)
            if (!skip.count(o[i])) out.push_back(o[i]);
        return out;
    });
}

}  // namespace cx::engine

namespace cx::engine {

Result<LocalSearchResult> localSearch(const NeuronReader& neuron, size_t unitIndex, const MaskedLanguageModel& mlm,
                                      const Tokenizer& tokenizer, const MinimalExample& mae, const LocalSearchOptions& o,
                                      JobContext& job) {
    if (!(o.positive >= 0.0 && o.negative >= o.positive && o.negative <= 1.0))
        return invalidInput("the thresholds must satisfy 0 <= positive <= negative <= 1, got " + std::to_string(o.positive) +
                            " and " + std::to_string(o.negative));
    if (o.topN < 1) return invalidInput("--top-n must be at least 1");
    LocalSearchResult r;
    r.ids = mae.ids();
    r.anchor = mae.anchor - mae.begin;
    if (r.anchor < 0 || r.anchor >= int64_t(r.ids.size())) return invalidInput("the MAE does not hold its anchor");
    const Framing framing = framingOf(tokenizer);
    int64_t at = r.anchor;
    const auto alone = readAlone(framing, r.ids, at);
    auto base = neuron.unitValues({alone}, unitIndex);
    if (!base) return base.error();
    r.value = base.value()[0][size_t(at)];
    for (int64_t pos = 0; pos < int64_t(r.ids.size()); ++pos) {
        if (job.cancelled()) return cancelledError();
        const int64_t id = r.ids[size_t(pos)];
        if (isSpecial(tokenizer, id) || isStopWord(tokenizer.decode({id}))) {
            r.skipped.push_back(pos);
            continue;
        }
        r.varied.push_back(pos);
        auto options = mlm.substitutes(r.ids, pos, o.topN, {id});
        if (!options) return options.error();
        std::vector<std::vector<int64_t>> inputs;
        for (int64_t replacement : options.value()) {
            Substitute s;
            s.position = pos;
            s.original = id;
            s.replacement = replacement;
            s.ids = r.ids;
            s.ids[size_t(pos)] = replacement;
            int64_t a = r.anchor;
            inputs.push_back(readAlone(framing, s.ids, a));
            r.substitutes.push_back(std::move(s));
        }
        auto values = neuron.unitValues(inputs, unitIndex);  // one batch: every substitute has the MAE's length
        if (!values) return values.error();
        const size_t first = r.substitutes.size() - inputs.size();
        for (size_t i = 0; i < inputs.size(); ++i) {
            Substitute& s = r.substitutes[first + i];
            s.value = values.value()[i][size_t(at)];
            s.drop = r.value != 0.0 ? (r.value - s.value) / std::abs(r.value) : 0.0;
            s.kind = s.drop < o.positive ? SubstituteKind::Positive : s.drop > o.negative ? SubstituteKind::Negative : SubstituteKind::Neither;
        }
        job.progress("local search", double(pos + 1) / double(r.ids.size()));
    }
    return r;
}

}  // namespace cx::engine
