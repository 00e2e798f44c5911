#include <filesystem>
#include <iomanip>
#include <iostream>

#include <unistd.h>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "engine/demo/demo_cnn.h"
#include "engine/demo/demo_run.h"

namespace cx::app {
namespace {

const char* kHelp = R"(usage: cx demo <train-cnn|images|run|population|train-transformer|subnetworks|train-lm|train-mlm> [options]

  train-cnn [--out FILE.pt] [--epochs N] [--train-images N] [--test-images N] [--seed S]
      Trains the demo CNN (5 conv + 2 linear, AlexNet-style) on procedural shapes and saves it as
      TorchScript (default: the shipped resources/demo/shapes_cnn.pt). Prints held-out accuracy.
  images --out FILE.safetensors|DIR [--count N] [--seed S]
      Writes shapes images: a safetensors image file, or PNGs in class sub-folders.
  run --out DIR [--model FILE.pt] [--vis-steps N]
      The headless demo: accuracy, sample images, per-unit activations of every conv layer; then
      seed 002 in miniature on the curve unit features.conv4:27: preservation curves (curves.csv,
      curves.svg), its 10% ActGrad circuit (circuit_mask.safetensors) drawn with each vertex's
      feature visualisation w.r.t. the circuit (circuit.svg, circuit.png; --vis-steps, default
      512), the unit in the model and in the circuit, and index.md linking them.
  population --out DIR [--model FILE.pt] [--layer L] [--units SPEC] [--count N] [--criteria LIST] [--at S]
      Seed 002's population figures on the demo CNN: every unit of features.conv4 swept over the 13
      levels (shared forwards; --count shapes, default 128), the median and interquartile |r| per
      criterion (quartiles.csv, fig2_median_curves.svg) and the distribution of |r| over the units
      at --at (default 0.1: distribution.csv, fig3_distribution.svg); every unit's curve in curves.csv.
  train-transformer [--out FILE.pt] [--steps N] [--width D] [--seed S]
      Trains the demo transformer (2 layers, 4 heads, GPT-2 style) on two-digit addition and
      multiplication mod 100 and saves it as TorchScript (default: the shipped
      resources/demo/arithmetic_gpt.pt). Prints held-out exact-answer accuracy per task.
  subnetworks --out DIR [--model FILE.pt] [--epochs N] [--lambda L] [--method cs|hc] [--seed S]
      Trains one weight mask for addition and one for multiplication over all attention and MLP
      weights, evaluates each on both tasks under every ablation, and writes both masks, the
      overlap table (per layer, head and MLP) and a summary into DIR.
  train-lm [--out FILE.pt] [--tokenizer FILE.json] [--corpus PATH] [--steps N] [--width D] [--layers L]
           [--vocabulary V] [--seed S]
      Trains the text demo's GPT-style causal language model on Debian's fortunes (or --corpus: a
      text file or folder; every tenth document held out) with the project's word-level tokenizer
      (read from --tokenizer when it exists, else built from the training split with V words and
      written there) and saves it as TorchScript (default: the shipped resources/demo/fortunes_lm.pt
      and resources/demo/tokenizer.json). Prints the held-out perplexity.
  train-mlm [same options]
      The BERT-style masked language model on the same corpus and tokenizer (default:
      resources/demo/fortunes_mlm.pt; 4000 steps), the local search's source of substitutes.
      Prints its held-out top-1 accuracy on masked words.
)";

}  // namespace

void attachTerminalProgress(engine::JobContext& job) {
    if (!isatty(STDERR_FILENO)) return;
    job.onProgress = [](const engine::Progress& p) {
        std::cerr << "\r" << p.stage << " " << std::fixed << std::setprecision(1) << 100.0 * p.fraction << "%   "
                  << std::flush;
    };
}

namespace {


int trainCnn(const Args& args) {
    engine::DemoTrainOptions options;
    std::string err;
    options.out = args.value("out", demoModelPath());
    auto epochs = args.integer("epochs", options.epochs, err);
    auto train = args.integer("train-images", options.trainImages, err);
    auto test = args.integer("test-images", options.testImages, err);
    auto seed = args.integer("seed", static_cast<long long>(options.seed), err);
    if (!err.empty()) return usageError(err);
    if (*epochs < 1) return usageError("--epochs must be at least 1");
    if (*train < 1 || *test < 1) return usageError("--train-images and --test-images must be at least 1");
    options.epochs = static_cast<int>(*epochs);
    options.trainImages = *train;
    options.testImages = *test;
    options.seed = static_cast<uint64_t>(*seed);
    engine::JobContext job;
    attachTerminalProgress(job);
    job.onLog = [](const std::string& line) { std::cerr << "\r" << line << "\n"; };
    auto report = engine::trainDemoCnn(options, job);
    if (!report) return reportError(report.error());
    std::cout << "wrote " << options.out << "\nheld-out accuracy: " << std::fixed << std::setprecision(4)
              << report.value().testAccuracy << " on " << report.value().testImages << " images ("
              << std::setprecision(0) << report.value().seconds << " s)\n";
    return 0;
}

int images(const Args& args) {
    std::string err;
    auto out = args.value("out");
    auto count = args.integer("count", 600, err);
    auto seed = args.integer("seed", 1, err);
    if (!err.empty()) return usageError(err);
    if (!out) return usageError("demo images needs --out FILE.safetensors or --out DIR");
    auto st = engine::writeShapesImages(*out, *count, static_cast<uint64_t>(*seed));
    if (!st) return reportError(st.error());
    std::cout << "wrote " << *count << " images to " << *out << "\n";
    return 0;
}

int run(const Args& args) {
    auto out = args.value("out");
    if (!out) return usageError("demo run needs --out DIR");
    engine::JobContext job;
    attachTerminalProgress(job);
    std::string err;
    engine::DemoCircuitOptions circuit;
    circuit.visSteps = int(args.integer("vis-steps", 512, err).value_or(0));
    if (err.empty() && circuit.visSteps < 1) err = "--vis-steps must be at least 1";
    if (!err.empty()) return usageError(err);
    auto report = engine::runHeadlessDemo(args.value("model", demoModelPath()), *out, job, circuit);
    if (!report) return reportError(report.error());
    if (isatty(STDERR_FILENO)) std::cerr << "\n";
    std::cout << "demo outputs in " << *out << "\naccuracy on " << report.value().images
              << " held-out shapes: " << report.value().accuracy << "\n";
    for (const auto& f : report.value().files) std::cout << "  " << f << "\n";
    return 0;
}

}  // namespace

int runDemo(const std::vector<std::string>& argv) {
    Args args(argv, {"out", "vis-steps", "epochs", "train-images", "test-images", "seed", "count", "model", "steps", "width", "lambda", "method",
                     "layer", "units", "criteria", "at", "tokenizer", "corpus", "layers", "vocabulary"}, {"help"});
    if (args.has("help") || argv.empty()) {
        std::cout << kHelp;
        return argv.empty() ? 2 : 0;
    }
    if (!args.ok()) return usageError(args.error());
    const std::string sub = args.positional().empty() ? "" : args.positional()[0];
    if (args.positional().size() != 1) return usageError("demo takes one subcommand: train-cnn, images, run, population, train-transformer, subnetworks, train-lm or train-mlm");
    if (sub == "train-cnn") return trainCnn(args);
    if (sub == "images") return images(args);
    if (sub == "run") return run(args);
    if (sub == "population") return demoPopulation(args);
    if (sub == "train-transformer") return demoTrainTransformer(args);
    if (sub == "subnetworks") return demoSubnetworks(args);
    if (sub == "train-lm") return demoTrainLanguageModel(args, false);
    if (sub == "train-mlm") return demoTrainLanguageModel(args, true);
    return usageError("unknown demo subcommand '" + sub + "' (train-cnn, images, run, population, train-transformer, subnetworks, train-lm, train-mlm)");
}

}  // namespace cx::app
