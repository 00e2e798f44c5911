#include "engine/text/mae.h"

namespace cx::engine {

std::vector<int64_t> readAlone(const Framing& framing, const std::vector<int64_t>& tokens, int64_t& anchorAt) {
    if (!framing.begin || (!tokens.empty() && tokens.front() == *framing.begin)) return tokens;
    std::vector<int64_t> out{*framing.begin};
    out.insert(out.end(), tokens.begin(), tokens.end());
    ++anchorAt;
    return out;
}

namespace {

struct Pruner {
    const NeuronReader& neuron;
    size_t unit;
    Framing framing;
    const std::vector<int64_t>& example;
    int64_t anchor;
    double floor;  // the least value that passes
    int64_t evaluations = 0;

    // The anchor's value in each substring [b, e) of the example, read alone, in one call.
    Result<std::vector<double>> values(const std::vector<std::pair<int64_t, int64_t>>& spans) {
        std::vector<std::vector<int64_t>> inputs;
        std::vector<int64_t> at;
        for (auto [b, e] : spans) {
            int64_t a = anchor - b;
            inputs.push_back(readAlone(framing, {example.begin() + b, example.begin() + e}, a));
            at.push_back(a);
        }
        auto read = neuron.unitValues(inputs, unit);
        if (!read) return read.error();
        evaluations += int64_t(spans.size());
        std::vector<double> out;
        for (size_t i = 0; i < spans.size(); ++i) out.push_back(read.value()[i][size_t(at[i])]);
        return out;
    }
};

}  // namespace

Result<MinimalExample> minimalExample(const NeuronReader& neuron, size_t unitIndex, const Tokenizer& tokenizer,
                                      const std::vector<int64_t>& example, int64_t anchor, const MaeOptions& o) {
    if (anchor < 0 || anchor >= int64_t(example.size()))
        return invalidInput("the anchor " + std::to_string(anchor) + " lies outside the example's " + std::to_string(example.size()) + " tokens");
    if (!(o.maxDrop >= 0.0 && o.maxDrop <= 1.0)) return invalidInput("the allowed drop must lie in 0..1");
    if (o.window < 0) return invalidInput("the window must be 0 or more tokens");
    MinimalExample m;
    m.example = example;
    m.anchor = anchor;
    const Framing framing = framingOf(tokenizer);
    auto whole = neuron.unitValues({example}, unitIndex);
    if (!whole) return whole.error();
    m.original = whole.value()[0][size_t(anchor)];
    Pruner p{neuron, unitIndex, framing, example, anchor, m.original - o.maxDrop * std::abs(m.original)};
    const int64_t n = int64_t(example.size());
    // A special anchor ([BOS], <|endoftext|>) has no sentence: it is its own MAE.
    if (isSpecial(tokenizer, example[size_t(anchor)])) {
        m.begin = anchor;
        m.end = anchor + 1;
        auto v = p.values({{m.begin, m.end}});
        if (!v) return v.error();
        m.value = v.value()[0];
    } else {
        // The sentence: back to just after the previous sentence end or special token, forward
        // to the first sentence end at or after the anchor (kept), before any special token.
        int64_t b = anchor, e = anchor + 1;
        while (b > 0 && !endsSentence(tokenizer, example[size_t(b - 1)])) --b;
        while (e < n && !endsSentence(tokenizer, example[size_t(e - 1)]) && !isSpecial(tokenizer, example[size_t(e)])) ++e;
        auto sentence = p.values({{b, e}});
        if (!sentence) return sentence.error();
        if (sentence.value()[0] < p.floor) {  // the seed's failure case: fall back to the whole example's text
            m.fromSentence = false;
            b = 0;
            e = n;
            while (b < anchor && isSpecial(tokenizer, example[size_t(b)])) ++b;
            while (e > anchor + 1 && isSpecial(tokenizer, example[size_t(e - 1)])) --e;
        }
        // From the end: every shorter end that keeps the window, the shortest that passes.
        const int64_t lastEnd = std::min(e, anchor + 1 + o.window);
        std::vector<std::pair<int64_t, int64_t>> spans;
        for (int64_t end = lastEnd; end <= e; ++end) spans.push_back({b, end});
        auto ends = p.values(spans);
        if (!ends) return ends.error();
        int64_t bestEnd = e;
        for (size_t i = 0; i < spans.size(); ++i)
            if (ends.value()[i] >= p.floor) {
                bestEnd = spans[i].second;
                break;
            }
        // Then from the start of that substring.
        const int64_t lastBegin = std::max(b, anchor - o.window);
        spans.clear();
        for (int64_t begin = lastBegin; begin >= b; --begin) spans.push_back({begin, bestEnd});
        auto begins = p.values(spans);
        if (!begins) return begins.error();
        int64_t bestBegin = b;
        for (size_t i = 0; i < spans.size(); ++i)
            if (begins.value()[i] >= p.floor) {
                bestBegin = spans[i].first;
                m.value = begins.value()[i];
                break;
            }
        if (bestBegin == b) m.value = begins.value().back();
        m.begin = bestBegin;
        m.end = bestEnd;
    }
    m.ratio = m.original != 0.0 ? m.value / m.original : 0.0;
    m.evaluations = p.evaluations;
    return m;
}

}  // namespace cx::engine
