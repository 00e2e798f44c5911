#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "engine/io/atomic_file.h"
#include "engine/masks/subnetworks.h"

namespace cx::app {
namespace {

const char* kTrainHelp = R"(usage: cx train-mask MODEL --task TASK --out MASK.safetensors [options]

Learns a binary mask over the frozen model that keeps the task working with few units
(batch-mean task loss + lambda x L0; the defaults are NeuroSurgeon's recipe). TASK is a safetensors file with 'inputs' and int64 'targets' (N class
indices, or N x T next tokens with -1 where nothing is predicted; or 'images' and 'labels'), or
a built-in task of the demo transformer: addition, multiplication (trained on the training
problems; the accuracy printed is on the held-out ones). From a task file, a seeded 20% is held
out and the accuracy (or preservation) is measured on it.

  --method cs|hc           continuous sparsification (default) or hard concrete
  --granularity G          weight (default), kernel, filter or neuron (conv filters / linear
                           neurons, with their bias), head (attention heads: q, k, v and output
                           projection slices together)
  --heads N                head count for attention layers without a num_heads attribute
  --layers PATTERNS        comma-separated layer names or globs (default: all layers)
  --mask-bias              weight/kernel granularity: drop a bias entry with its last weight
  --lambda L               L0 weight against the batch-mean loss (default 1e-8, NeuroSurgeon's
                           l0_lambda; on the demo models 1e-5 to 1e-4 keep 5-50%)
  --target-kept F          adapt lambda each step until the fraction F of units is kept
  --preserve LAYER:UNIT    feature preservation: mean squared error to the unit's original
                           activations instead of the task loss (TASK needs inputs only)
  --epochs E               default 90
  --batch-size B           default 64
  --lr R                   Adam learning rate for the mask logits (default 0.05)
  --init V                 initial logit (cs) or log-alpha (hc); default 0
  --final-temperature T    cs: temperature 1 -> T over the epochs (default 200)
  --temperature-schedule S cs: epoch (default: T grows once per epoch) or step (every step)
  --holdout F              task files: the share held out for the reported figures (default 0.2;
                           0 measures on the training data, and says so)
  --seed S                 also draws the held-out share
  --resume MASK            continue from the logits saved in an earlier run's mask file
  --json
)";

const char* kMagnitudeHelp = R"(usage: cx magnitude MODEL --keep F --out MASK.safetensors [--layers PATTERNS] [--granularity G] [--global]

Magnitude baseline: keeps the fraction F of units with the largest |w| (mean |w| for kernels and
filters), per tensor or, with --global, over all chosen layers together.
)";

const char* kEvaluateHelp = R"(usage: cx evaluate MODEL --mask MASK.safetensors --task TASK.safetensors [--ablation A] [--repeats R] [--seed S] [--json]

Task accuracy of the model under a mask:
  none              the subnetwork alone
  zero_ablate       the model without the subnetwork
  random_ablate     the subnetwork's weights re-initialised at random (mean over R draws)
  randomly_sampled  the model without as many random units from outside the subnetwork (mean and spread over R)
)";

const char* kOverlapHelp = R"(usage: cx overlap MODEL --mask A.safetensors --mask B.safetensors [--by layer|block|tensor] [--json] [--out overlap.csv]

The units kept by only A, both, only B and neither, and their IoU: per layer (default), per
tensor (parameter path), or per block: one row per attention head (its slices of the q, k, v and
output projections) and one per other module, e.g. an MLP.
)";

void report(const engine::SubnetworkReport& r, bool json, const std::string& extra) {
    if (json) {
        nlohmann::json out = {{"kept", r.kept},         {"total", r.total},     {"accuracy", r.accuracy},
                              {"base_accuracy", r.baseAccuracy}, {"spread", r.spread}, {"repeats", r.repeats},
                              {"cancelled", r.cancelled}};
        if (r.preservation >= 0) out["preservation_abs_pearson"] = r.preservation;
        if (!r.measuredOn.empty()) out["measured_on"] = r.measuredOn;
        if (!r.warning.empty()) out["warning"] = r.warning;
        std::cout << out.dump(2) << "\n";
        return;
    }
    if (!r.warning.empty()) std::cerr << "warning: " << r.warning << "\n";
    std::cout << extra << "kept " << r.kept << " of " << r.total << " units (" << std::fixed << std::setprecision(2)
              << 100.0 * double(r.kept) / double(std::max<int64_t>(1, r.total)) << "%)\n";
    if (r.accuracy > 0 || r.baseAccuracy > 0)
        std::cout << "accuracy " << std::setprecision(4) << r.accuracy
                  << (r.repeats > 1 ? " +- " + std::to_string(r.spread) + " over " + std::to_string(r.repeats) + " draws" : "")
                  << " (base model " << r.baseAccuracy << ")\n";
    if (r.preservation >= 0) std::cout << "target preserved: |Pearson r| " << std::setprecision(4) << r.preservation << "\n";
    if (!r.measuredOn.empty()) std::cout << "measured on " << r.measuredOn << "\n";
}

}  // namespace

int runTrainMaskCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"task", "out", "method", "granularity", "layers", "lambda", "epochs", "batch-size", "lr", "init",
                     "final-temperature", "seed", "resume", "heads", "target-kept", "preserve", "temperature-schedule",
                     "holdout"},
              {"json", "help", "mask-bias"});
    if (args.has("help")) return std::cout << kTrainHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("train-mask takes one MODEL file (see cx train-mask --help)");
    if (!args.value("task") || !args.value("out")) return usageError("train-mask needs --task and --out");
    engine::TrainMaskRequest req;
    std::string err;
    req.model = args.positional()[0];
    req.task = *args.value("task");
    req.out = *args.value("out");
    req.method = args.choice("method", req.method, engine::parseMaskMethod, err);
    req.granularity = args.choice("granularity", req.granularity, engine::parseGranularity, err);
    req.layers = args.value("layers", req.layers);
    req.resume = args.value("resume", "");
    req.lambda = args.real("lambda", req.lambda, err).value_or(0);
    req.epochs = static_cast<int>(args.integer("epochs", req.epochs, err).value_or(0));
    req.batchSize = args.integer("batch-size", req.batchSize, err).value_or(0);
    req.learningRate = args.real("lr", req.learningRate, err).value_or(0);
    req.initValue = args.real("init", req.initValue, err).value_or(0);
    req.finalTemperature = args.real("final-temperature", req.finalTemperature, err).value_or(0);
    req.seed = static_cast<uint64_t>(args.integer("seed", 0, err).value_or(0));
    req.heads = args.integer("heads", 0, err).value_or(0);
    req.targetKept = args.real("target-kept", 0.0, err).value_or(0);
    req.holdout = args.real("holdout", req.holdout, err).value_or(-1);
    req.preserve = args.value("preserve", "");
    req.maskBias = args.has("mask-bias");
    const std::string schedule = args.value("temperature-schedule", "epoch");
    if (schedule != "epoch" && schedule != "step") return usageError("--temperature-schedule must be epoch or step");
    req.temperaturePerStep = schedule == "step";
    if (!err.empty()) return usageError(err);
    if (req.batchSize < 1) return usageError("--batch-size must be at least 1");
    if (args.value("heads") && req.heads < 1) return usageError("--heads must be at least 1");
    if (args.value("target-kept") && !(req.targetKept > 0 && req.targetKept < 1))
        return usageError("--target-kept must be a fraction between 0 and 1");
    engine::JobContext job;
    if (isatty(STDERR_FILENO))
        job.onProgress = [](const engine::Progress& p) {
            std::cerr << "\r" << p.stage << " " << std::fixed << std::setprecision(0) << 100.0 * p.fraction << "%   " << std::flush;
        };
    auto r = engine::runTrainMask(req, job);
    if (isatty(STDERR_FILENO)) std::cerr << "\r";
    if (!r) return reportError(r.error());
    report(r.value(), args.has("json"), args.has("json") ? "" : "wrote " + req.out + "\n");
    return 0;
}

int runMagnitudeCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"keep", "out", "layers", "granularity"}, {"global", "json", "help"});
    if (args.has("help")) return std::cout << kMagnitudeHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("magnitude takes one MODEL file (see cx magnitude --help)");
    if (!args.value("keep") || !args.value("out")) return usageError("magnitude needs --keep and --out");
    engine::MagnitudeRequest req;
    std::string err;
    req.model = args.positional()[0];
    req.out = *args.value("out");
    req.keep = args.real("keep", 0.5, err).value_or(0);
    req.layers = args.value("layers", req.layers);
    req.granularity = args.choice("granularity", req.granularity, engine::parseGranularity, err);
    req.global = args.has("global");
    if (!err.empty()) return usageError(err);
    auto r = engine::runMagnitude(req);
    if (!r) return reportError(r.error());
    report(r.value(), args.has("json"), args.has("json") ? "" : "wrote " + req.out + "\n");
    return 0;
}

int runEvaluateCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"mask", "task", "ablation", "repeats", "seed"}, {"json", "help"});
    if (args.has("help")) return std::cout << kEvaluateHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("evaluate takes one MODEL file (see cx evaluate --help)");
    if (!args.value("mask") || !args.value("task")) return usageError("evaluate needs --mask and --task");
    engine::EvaluateRequest req;
    std::string err;
    req.model = args.positional()[0];
    req.mask = *args.value("mask");
    req.task = *args.value("task");
    req.ablation = args.choice("ablation", req.ablation, engine::parseAblation, err);
    req.repeats = static_cast<int>(args.integer("repeats", req.repeats, err).value_or(0));
    req.seed = static_cast<uint64_t>(args.integer("seed", 0, err).value_or(0));
    if (!err.empty()) return usageError(err);
    auto r = engine::runEvaluate(req);
    if (!r) return reportError(r.error());
    report(r.value(), args.has("json"), std::string("ablation ") + engine::nameOf(req.ablation) + ": ");
    return 0;
}

int runOverlapCommand(const std::vector<std::string>& argv) {
    // --mask is given twice: collect both occurrences before the strict parser sees them.
    std::vector<std::string> masks, rest;
    for (size_t i = 0; i < argv.size(); ++i) {
        if (argv[i] == "--mask" && i + 1 < argv.size()) masks.push_back(argv[++i]);
        else rest.push_back(argv[i]);
    }
    Args args(rest, {"out", "by"}, {"json", "help"});
    if (args.has("help")) return std::cout << kOverlapHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1 || masks.size() != 2) return usageError("overlap takes one MODEL and two --mask files");
    std::string err;
    const auto level = args.choice("by", engine::OverlapBy::Layer, engine::parseOverlapBy, err);
    if (!err.empty()) return usageError(err);
    const std::string by = engine::nameOf(level);
    auto rows = engine::runOverlap(args.positional()[0], masks[0], masks[1], level);
    if (!rows) return reportError(rows.error());
    if (args.has("json")) {
        auto arr = nlohmann::json::array();
        for (const auto& r : rows.value())
            arr.push_back({{by, r.layer}, {"only_a", r.onlyA}, {"both", r.both}, {"only_b", r.onlyB}, {"neither", r.neither},
                           {"iou", std::isnan(r.iou) ? nlohmann::json(nullptr) : nlohmann::json(r.iou)},
                           {"absent_in", r.absentIn.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.absentIn)}});
        std::cout << nlohmann::json({{"rows", arr}, {"by", by}}).dump(2) << "\n";
    } else {
        size_t width = 0;  // the longest name ("encoder.layers.0.self_attn head 3"), then two spaces
        for (const auto& r : rows.value()) width = std::max(width, r.layer.size() + 2);
        for (const auto& r : rows.value())
            std::cout << std::left << std::setw(int(width)) << r.layer << "only A " << r.onlyA << ", both " << r.both << ", only B "
                      << r.onlyB << ", neither " << r.neither << ", IoU " << iouText(r.iou)
                      << (r.absentIn.empty() ? "" : "  (not in mask " + r.absentIn + ")") << "\n";
    }
    if (auto out = args.value("out")) {
        std::string csv = by + ",only_a,both,only_b,neither,iou\n";
        for (const auto& r : rows.value())
            csv += r.layer + "," + std::to_string(r.onlyA) + "," + std::to_string(r.both) + "," + std::to_string(r.onlyB) + "," +
                   std::to_string(r.neither) + "," + (std::isnan(r.iou) ? std::string() : std::to_string(r.iou)) + "\n";
        if (auto st = engine::writeFileAtomic(*out, csv); !st) return reportError(st.error());
    }
    return 0;
}

}  // namespace cx::app
