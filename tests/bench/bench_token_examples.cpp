// Dataset examples of a language model's neurons: the top 9 windows of every unit of one MLP
// layer of the demo LM over the whole fortunes corpus in one batched pass, against units ranked one
// at a time (one pass each; SAMPLE units, the time per unit scaled to the layer's 512), rounds
// interleaved so that the shared machine's drift hits both. Tokens/s and the speed-up are printed.
//   cmake --build build --target cx_bench_token_examples &&
//   build/tests/bench/cx_bench_token_examples [SAMPLE] [LAYER] [CORPUS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/text/token_examples.h"

using namespace cx::engine;

namespace {

double seconds(const std::chrono::steady_clock::time_point& t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    const int64_t sample = argc > 1 ? std::atoll(argv[1]) : 4;
    const std::string layer = argc > 2 ? argv[2] : "block1.mlp.fc";
    const std::string corpusPath = argc > 3 ? argv[3] : demoCorpusPath();
    auto tokenizer = Tokenizer::readTokenizerJson(CX_DEMO_TOKENIZER);
    if (!tokenizer) return std::fprintf(stderr, "%s\n", tokenizer.error().message.c_str()), 1;
    auto text = readTextCorpus(corpusPath);
    if (!text) return std::fprintf(stderr, "%s\n", text.error().message.c_str()), 1;
    auto corpus = windowCorpus(text.value(), tokenizer.value(), 64);
    if (!corpus) return std::fprintf(stderr, "%s\n", corpus.error().message.c_str()), 1;
    auto w = Workspace::open(CX_DEMO_LM);
    if (!w) return std::fprintf(stderr, "%s\n", w.error().message.c_str()), 1;
    auto& ws = *w.value();
    const int64_t units = ws.summary().layers[size_t(ws.summary().indexOf(layer))].outChannels;
    JobContext job;
    double batched = 0, single = 0;
    int64_t singles = 0;
    constexpr int kRounds = 2;
    for (int round = 0; round < kRounds; ++round) {
        auto t0 = std::chrono::steady_clock::now();
        auto all = topTokenExamples(ws, nullptr, corpus.value(), layer, {}, 9, job);
        batched += seconds(t0);
        if (!all) return std::fprintf(stderr, "%s\n", all.error().message.c_str()), 1;
        for (int64_t i = 0; i < sample; ++i) {
            const int64_t u = (round * sample + i) * 37 % units;
            t0 = std::chrono::steady_clock::now();
            auto one = topTokenExamples(ws, nullptr, corpus.value(), layer, {u}, 9, job);
            single += seconds(t0);
            ++singles;
            if (!one || one.value().units[0].top[0].window != all.value().units[size_t(u)].top[0].window)
                return std::fprintf(stderr, "unit %lld ranks differently alone\n", (long long)u), 1;
        }
    }
    batched /= kRounds;
    const double perUnit = single / double(singles);
    std::printf("demo LM %s (%lld neurons), %lld windows, %lld tokens of %s\n", layer.c_str(), (long long)units,
                (long long)corpus.value().windows.size(), (long long)corpus.value().tokens, corpusPath.c_str());
    std::printf("batched: all %lld neurons in %.2f s (%.0f tokens/s)\n", (long long)units, batched,
                double(corpus.value().tokens) / batched);
    std::printf("one at a time: %.2f s a neuron (%lld measured), %.1f s for the layer\n", perUnit, (long long)singles,
                perUnit * double(units));
    std::printf("batched speed-up: %.1fx\n", perUnit * double(units) / batched);
    return 0;
}
