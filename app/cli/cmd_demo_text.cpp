// `cx demo train-lm` and `cx demo train-mlm`: the text demo's two language models (seed 003).
#include <iomanip>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "engine/demo/demo_language.h"

namespace cx::app {

int demoTrainLanguageModel(const Args& args, bool masked) {
    engine::DemoLanguageOptions options;
    options.kind = masked ? engine::LanguageModelKind::Masked : engine::LanguageModelKind::Causal;
    std::string err;
    options.out = args.value("out", masked ? demoMaskedModelPath() : demoLanguageModelPath());
    options.tokenizer = args.value("tokenizer", demoTokenizerPath());
    options.corpus = args.value("corpus", "");
    options.steps = args.integer("steps", masked ? 4000 : options.steps, err).value_or(0);
    options.width = args.integer("width", options.width, err).value_or(0);
    options.layers = args.integer("layers", options.layers, err).value_or(0);
    options.vocabulary = args.integer("vocabulary", options.vocabulary, err).value_or(0);
    options.seed = static_cast<uint64_t>(args.integer("seed", static_cast<long long>(options.seed), err).value_or(0));
    if (!err.empty()) return usageError(err);
    if (options.steps < 1) return usageError("--steps must be at least 1");
    if (options.layers < 1) return usageError("--layers must be at least 1");
    if (options.width < 4 || options.width % 4 != 0) return usageError("--width must be a positive multiple of 4 (the head count)");
    if (options.vocabulary < 6) return usageError("--vocabulary must be at least 6 (5 special tokens and a word)");
    engine::JobContext job;
    attachTerminalProgress(job);
    job.onLog = [](const std::string& line) { std::cerr << "\r" << line << "\n"; };
    auto report = engine::trainDemoLanguageModel(options, job);
    if (!report) return reportError(report.error());
    const auto& r = report.value();
    std::cout << "wrote " << options.out << (r.tokenizerBuilt ? " and " + options.tokenizer : "") << "\n"
              << std::fixed << std::setprecision(masked ? 4 : 2)
              << (masked ? "held-out top-1 accuracy on masked words: " : "held-out perplexity: ") << r.heldOut << " over "
              << r.heldOutTokens << " tokens (" << r.trainTokens << " training tokens)\n"
              << std::setprecision(4) << "final training loss " << r.trainLoss << " (" << std::setprecision(0) << r.seconds
              << " s)\n";
    return 0;
}

}  // namespace cx::app
