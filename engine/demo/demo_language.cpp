// The text demo's training: windows drawn at random offsets from the training fortunes laid end
// to end ([BOS] fortune [EOS] ...), next-token cross-entropy for the causal model, BERT's masking
// (25% of positions: 80% [MASK], 10% a random word, 10% unchanged) for the masked one.
#include "engine/demo/demo_language.h"

#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/io/atomic_file.h"
#include "engine/model/internal/script_modules.h"
#include "engine/text/corpus.h"
#include "engine/text/tokenizer.h"

namespace cx::engine {
namespace {

constexpr int64_t kHeads = 4;
constexpr int64_t kEvalBatch = 64;

struct SpecialIds {
    int64_t unknown = -1, mask = -1, begin = -1, end = -1;
};

Result<SpecialIds> specialIds(const Tokenizer& tokenizer, bool needMask) {
    SpecialIds ids;
    const auto get = [&](const char* token, int64_t& id) {
        if (auto found = tokenizer.idOf(token)) id = *found;
    };
    get("[UNK]", ids.unknown);
    get("[MASK]", ids.mask);
    get("[BOS]", ids.begin);
    get("[EOS]", ids.end);
    if (ids.begin < 0 || ids.end < 0) return invalidInput("the tokenizer has no [BOS] and [EOS] tokens: the demo's own word-level tokenizer has");
    if (needMask && ids.mask < 0) return invalidInput("the tokenizer has no [MASK] token");
    return ids;
}

struct Documents {
    std::vector<std::vector<int64_t>> train, heldOut;  // each [BOS] document [EOS]
};

Documents encodeDocuments(const TextCorpus& corpus, const Tokenizer& tokenizer, const SpecialIds& ids) {
    Documents out;
    for (size_t i = 0; i < corpus.documents.size(); ++i) {
        std::vector<int64_t> seq{ids.begin};
        for (int64_t id : tokenizer.encode(corpus.documents[i])) seq.push_back(id);
        seq.push_back(ids.end);
        (isHeldOutDocument(i) ? out.heldOut : out.train).push_back(std::move(seq));
    }
    return out;
}

std::string trainingText(const TextCorpus& corpus) {
    std::string text;
    for (size_t i = 0; i < corpus.documents.size(); ++i)
        if (!isHeldOutDocument(i)) text += corpus.documents[i] + "\n";
    return text;
}

torch::Tensor row(const std::vector<int64_t>& ids, int64_t from, int64_t length) {
    return torch::tensor(std::vector<int64_t>(ids.begin() + from, ids.begin() + from + length), torch::kInt64);
}

// N windows of `length` + 1 tokens at random offsets of the stream.
torch::Tensor randomWindows(const torch::Tensor& stream, int64_t n, int64_t length) {
    auto offsets = torch::randint(stream.size(0) - length - 1, {n, 1}, torch::kInt64);
    return stream.index({offsets + torch::arange(length + 1, torch::kInt64)});
}

// BERT's corruption of a batch: inputs with kMaskRate of positions (at least one a row) chosen,
// 80% of those [MASK], 10% a random word, 10% unchanged; targets -1 where nothing is predicted
// and at [UNK] (the substitutes the model is for are words).
constexpr double kMaskRate = 0.25;  // above BERT's 0.15: more signal per step on a small corpus

std::pair<torch::Tensor, torch::Tensor> bertMasking(const torch::Tensor& ids, int64_t vocabulary, int64_t maskId, int64_t unknownId) {
    auto chosen = torch::rand(ids.sizes()) < kMaskRate;
    chosen.index_put_({torch::arange(ids.size(0)), torch::randint(ids.size(1), {ids.size(0)}, torch::kInt64)}, true);
    auto targets = torch::where(chosen & ids.ne(unknownId), ids, torch::full_like(ids, -1));
    auto roll = torch::rand(ids.sizes());
    auto inputs = torch::where(chosen & (roll < 0.8), torch::full_like(ids, maskId), ids);
    auto random = torch::randint(5, vocabulary, ids.sizes(), torch::kInt64);
    inputs = torch::where(chosen & (roll >= 0.8) & (roll < 0.9), random, inputs);
    return {inputs, targets};
}

torch::Tensor crossEntropy(const torch::Tensor& logits, const torch::Tensor& targets, bool sum) {
    namespace F = torch::nn::functional;
    auto options = F::CrossEntropyFuncOptions().ignore_index(-1);
    if (sum) options.reduction(torch::kSum);
    else options.reduction(torch::kMean);
    return F::cross_entropy(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}), options);
}

// Held-out next-token windows: inputs padded with [PAD] (0) on the right, targets -1 there (a
// causal model's earlier positions never see the padding).
std::pair<double, int64_t> causalNll(torch::jit::Module& net, const std::vector<std::vector<int64_t>>& docs, int64_t context) {
    std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> windows;
    for (const auto& seq : docs)
        for (int64_t from = 0; from + 1 < int64_t(seq.size()); from += context) {
            const int64_t n = std::min(context, int64_t(seq.size()) - 1 - from);
            windows.push_back({{seq.begin() + from, seq.begin() + from + n}, {seq.begin() + from + 1, seq.begin() + from + 1 + n}});
        }
    torch::NoGradGuard noGrad;
    double total = 0.0;
    int64_t count = 0;
    for (size_t start = 0; start < windows.size(); start += kEvalBatch) {
        const size_t end = std::min(windows.size(), start + kEvalBatch);
        int64_t longest = 0;
        for (size_t i = start; i < end; ++i) longest = std::max(longest, int64_t(windows[i].first.size()));
        auto inputs = torch::zeros({int64_t(end - start), longest}, torch::kInt64);
        auto targets = torch::full({int64_t(end - start), longest}, -1, torch::kInt64);
        for (size_t i = start; i < end; ++i) {
            const auto& [in, out] = windows[i];
            inputs[int64_t(i - start)].narrow(0, 0, int64_t(in.size())).copy_(torch::tensor(in, torch::kInt64));
            targets[int64_t(i - start)].narrow(0, 0, int64_t(out.size())).copy_(torch::tensor(out, torch::kInt64));
            count += int64_t(out.size());
        }
        total += crossEntropy(net.forward({inputs}).toTensor(), targets, true).item<double>();
    }
    return {total, count};
}

// Held-out masked windows, grouped by length (an encoder sees every position, so nothing is
// padded); the mask positions come from a fixed seed.
std::pair<int64_t, int64_t> maskedHits(torch::jit::Module& net, const std::vector<std::vector<int64_t>>& docs, int64_t context,
                                       const SpecialIds& ids) {
    std::map<int64_t, std::vector<std::vector<int64_t>>> byLength;
    for (const auto& seq : docs)
        for (int64_t from = 0; from < int64_t(seq.size()); from += context) {
            const int64_t n = std::min(context, int64_t(seq.size()) - from);
            if (n >= 2) byLength[n].push_back({seq.begin() + from, seq.begin() + from + n});
        }
    std::mt19937_64 random(20261206);
    torch::NoGradGuard noGrad;
    int64_t hits = 0, count = 0;
    for (const auto& [length, windows] : byLength)
        for (size_t start = 0; start < windows.size(); start += kEvalBatch) {
            const size_t end = std::min(windows.size(), start + kEvalBatch);
            auto inputs = torch::empty({int64_t(end - start), length}, torch::kInt64);
            auto targets = torch::full({int64_t(end - start), length}, -1, torch::kInt64);
            auto in = inputs.accessor<int64_t, 2>();
            auto out = targets.accessor<int64_t, 2>();
            for (size_t i = start; i < end; ++i) {
                const auto& w = windows[i];
                const int64_t r = int64_t(i - start);
                const int64_t forced = int64_t(random() % uint64_t(length));
                for (int64_t t = 0; t < length; ++t) {
                    const bool masked = t == forced || std::uniform_real_distribution<double>(0, 1)(random) < 0.15;
                    in[r][t] = masked ? ids.mask : w[size_t(t)];
                    if (masked && w[size_t(t)] != ids.unknown) out[r][t] = w[size_t(t)];
                }
            }
            auto best = net.forward({inputs}).toTensor().argmax(-1);
            auto scored = targets.ge(0);
            hits += (best.eq(targets) & scored).sum().item<int64_t>();
            count += scored.sum().item<int64_t>();
        }
    return {hits, count};
}

struct Prepared {
    Tokenizer tokenizer;
    SpecialIds ids;
    Documents docs;
    bool built = false;
};

Result<Prepared> prepare(const std::string& corpusPath, const std::string& tokenizerPath, int64_t vocabulary, bool needMask,
                         bool mayBuild) {
    auto corpus = readTextCorpus(corpusPath.empty() ? demoCorpusPath() : corpusPath);
    if (!corpus) return corpus.error();
    std::error_code ec;
    const bool exists = !tokenizerPath.empty() && std::filesystem::exists(tokenizerPath, ec);
    if (!exists && !mayBuild) return invalidInput("no tokenizer file " + tokenizerPath);
    auto tokenizer = exists ? Tokenizer::readTokenizerJson(tokenizerPath) : Tokenizer::buildWordLevel(trainingText(corpus.value()), vocabulary);
    if (!tokenizer) return tokenizer.error();
    auto ids = specialIds(tokenizer.value(), needMask);
    if (!ids) return ids.error();
    Prepared p{tokenizer.take(), ids.value(), {}, !exists};
    p.docs = encodeDocuments(corpus.value(), p.tokenizer, p.ids);
    if (p.docs.heldOut.empty()) return invalidInput("the corpus has fewer than 10 documents: nothing is held out");
    return p;
}

}  // namespace

Result<DemoLanguageReport> trainDemoLanguageModel(const DemoLanguageOptions& o, JobContext& job) {
    initRuntime();
    if (o.steps < 1) return invalidInput("steps must be at least 1");
    if (o.width % kHeads != 0 || o.width < kHeads) return invalidInput("the width must be a positive multiple of 4 (heads)");
    if (o.context < 8) return invalidInput("the context must be at least 8 tokens");
    if (o.layers < 1 || o.batchSize < 1) return invalidInput("layers and batch size must be at least 1");
    if (o.out.empty()) return invalidInput("no output path given");
    if (o.tokenizer.empty()) return invalidInput("no tokenizer path given (read when it exists, written when it is built)");
    const bool causal = o.kind == LanguageModelKind::Causal;
    return guarded<DemoLanguageReport>("demo language model training", [&]() -> Result<DemoLanguageReport> {
        const auto start = std::chrono::steady_clock::now();
        torch::manual_seed(o.seed);
        auto prepared = prepare(o.corpus, o.tokenizer, o.vocabulary, !causal, true);
        if (!prepared) return prepared.error();
        const Prepared& p = prepared.value();
        std::vector<int64_t> all;
        for (const auto& seq : p.docs.train) all.insert(all.end(), seq.begin(), seq.end());
        if (int64_t(all.size()) < 2 * o.context + 2) return invalidInput("the training split is shorter than two windows");
        const auto stream = torch::tensor(all, torch::kInt64);
        const int64_t vocabulary = p.tokenizer.vocabSize();
        auto net = scriptGpt(causal ? "cx_demo.FortunesGPT" : "cx_demo.FortunesBERT", {vocabulary, o.context, o.width, o.layers, kHeads, causal});
        std::vector<torch::Tensor> params;
        for (const auto& param : net.parameters()) params.push_back(param.set_requires_grad(true));
        torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(o.learningRate).weight_decay(o.weightDecay).betas({0.9, 0.98}));
        net.train();
        std::deque<double> recent;
        for (int64_t step = 0; step < o.steps; ++step) {
            if (job.cancelled()) return cancelledError();
            const double warm = std::min(1.0, double(step + 1) / 100.0);
            const double lr = o.learningRate * warm * 0.5 * (1.0 + std::cos(M_PI * double(step) / double(o.steps)));
            static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[0].options()).lr(lr);
            torch::Tensor loss;
            if (causal) {
                auto w = randomWindows(stream, o.batchSize, o.context);
                loss = crossEntropy(net.forward({w.narrow(1, 0, o.context)}).toTensor(), w.narrow(1, 1, o.context), false);
            } else {
                // Mostly full windows; a quarter shorter, so that short texts (a minimal example) read as well.
                const bool shorter = torch::rand({1}).item<double>() < 0.25;
                const int64_t length = shorter ? torch::randint(4, o.context, {1}, torch::kInt64).item<int64_t>() : o.context;
                auto [inputs, targets] =
                    bertMasking(randomWindows(stream, o.batchSize, length).narrow(1, 0, length), vocabulary, p.ids.mask, p.ids.unknown);
                loss = crossEntropy(net.forward({inputs}).toTensor(), targets, false);
            }
            optimizer.zero_grad();
            loss.backward();
            torch::nn::utils::clip_grad_norm_(params, 1.0);
            optimizer.step();
            recent.push_back(loss.item<double>());
            if (recent.size() > 100) recent.pop_front();
            job.progress("train", double(step + 1) / double(o.steps));
            if ((step + 1) % 250 == 0)
                job.log("step " + std::to_string(step + 1) + "/" + std::to_string(o.steps) + ": loss " + std::to_string(recent.back()));
        }
        for (auto& param : params) param.set_requires_grad(false);
        net.eval();
        DemoLanguageReport report;
        for (double v : recent) report.trainLoss += v / double(recent.size());
        report.trainTokens = int64_t(all.size());
        report.tokenizerBuilt = p.built;
        if (causal) {
            auto [nll, count] = causalNll(net, p.docs.heldOut, o.context);
            report.heldOut = std::exp(nll / double(count));
            report.heldOutTokens = count;
        } else {
            auto [hits, count] = maskedHits(net, p.docs.heldOut, o.context, p.ids);
            report.heldOut = double(hits) / double(std::max<int64_t>(count, 1));
            report.heldOutTokens = count;
        }
        if (p.built)
            if (auto st = p.tokenizer.writeTokenizerJson(o.tokenizer); !st) return st.error();
        std::ostringstream saved;
        net.save(saved);
        if (auto st = writeFileAtomic(o.out, saved.str()); !st) return st.error();
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return report;
    });
}

Result<DemoLanguageReport> heldOutPerplexity(const std::string& modelPath, const std::string& tokenizerPath,
                                             const std::string& corpus, int64_t context) {
    initRuntime();
    return guarded<DemoLanguageReport>("perplexity of " + modelPath, [&]() -> Result<DemoLanguageReport> {
        auto prepared = prepare(corpus, tokenizerPath, 0, false, false);
        if (!prepared) return prepared.error();
        auto net = torch::jit::load(modelPath);
        net.eval();
        auto [nll, count] = causalNll(net, prepared.value().docs.heldOut, context);
        DemoLanguageReport report;
        report.heldOut = std::exp(nll / double(count));
        report.heldOutTokens = count;
        return report;
    });
}

Result<DemoLanguageReport> heldOutMaskedAccuracy(const std::string& modelPath, const std::string& tokenizerPath,
                                                 const std::string& corpus, int64_t context) {
    initRuntime();
    return guarded<DemoLanguageReport>("masked accuracy of " + modelPath, [&]() -> Result<DemoLanguageReport> {
        auto prepared = prepare(corpus, tokenizerPath, 0, true, false);
        if (!prepared) return prepared.error();
        auto net = torch::jit::load(modelPath);
        net.eval();
        auto [hits, count] = maskedHits(net, prepared.value().docs.heldOut, context, prepared.value().ids);
        DemoLanguageReport report;
        report.heldOut = double(hits) / double(std::max<int64_t>(count, 1));
        report.heldOutTokens = count;
        return report;
    });
}

}  // namespace cx::engine
