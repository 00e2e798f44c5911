#include <iomanip>
#include <iostream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "engine/pruning/population.h"
#include "engine/pruning/pruning.h"

namespace cx::app {
namespace {

const char* kScoreHelp = R"(usage: cx score MODEL --images DIR|FILE.safetensors|addition|multiplication --target LAYER:UNIT --out SCORES.safetensors [options]

Scores every kernel that can reach the target feature (ActGrad, SNIP, FORCE, magnitude or random).

  --images PATH            an image folder, a safetensors file with float32 'images' (N x C x H x W)
                           or int64 'inputs' (N x T token ids), or the demo transformer's held-out
                           prompts: addition, multiplication
  --target LAYER:UNIT      a channel of a conv layer's output, or a linear unit (its positions
                           summed; --objective position:T,0 takes one)
  --direction FILE         with --target LAYER: coefficients over the layer's channels
  --units SPEC             with --target LAYER: a population, e.g. 0-63, 3,7,9 or all; one forward
                           per batch is shared by every unit (one backward each), and the file
                           holds every unit: score/<param> with a leading unit axis (U x ...),
                           metadata "units" naming each row (format cx-population/1)
  --shard I/N              with --units: only shard I (0-based) of N contiguous parts of the units;
                           `cx merge` joins the shards' files into exactly the unsharded one
  --criterion C            actgrad (default), snip, force, magnitude, random
  --sparsity S             force: the circuit size (fraction of relevant kernels) its 10-step
                           schedule prunes towards; recorded in the file, cx prune keeps it
  --minmax                 force: rank every step with per-layer min-max (prune with --minmax)
  --objective O            sum-abs (default), max, mean, sum, position:H,W
  --granularity G          kernel (default), filter (conv filters / linear neurons), weight
  --batch-size B           images per forward/backward pass (default 32; scores do not depend on it)
  --seed S                 for the random criterion
  --limit N                use the first N images
  --resize N --crop N      image folders: shorter side and centre crop (default 256 / 224; 0: none)
  --no-normalize           image folders: keep values in 0..1 (no ImageNet mean/std)
  --json                   print the report as JSON
)";

const char* kPruneHelp = R"(usage: cx prune MODEL --scores SCORES.safetensors --sparsity S|--cumulative F --out MASK.safetensors [options]

Keeps exactly round(S x relevant) kernels with the highest scores, removes dead ends, and writes
the circuit's mask. Prints requested sparsity, relevant, kept, effective kept, disconnected.

  --sparsity S             fraction of relevant kernels kept, in (0, 1]; FORCE scores default to
                           (and only prune at) the sparsity they were made for
  --bias masked|pruned     pruned: filters with every kernel masked lose their bias too
  --minmax                 min-max normalise scores within each layer before ranking
  --quota                  every layer keeps the same fraction S of its relevant units
  --cumulative F           instead of --sparsity: keep the fewest top units that hold the
                           share F of the total saliency (the resulting sparsity is printed)
  --json                   print the report as JSON
)";

void attachProgress(engine::JobContext& job) {
    if (!isatty(STDERR_FILENO)) return;
    job.onProgress = [](const engine::Progress& p) {
        std::cerr << "\r" << p.stage << " " << std::fixed << std::setprecision(0) << 100.0 * p.fraction << "%   " << std::flush;
    };
}

nlohmann::json layersJson(const std::vector<engine::LayerCount>& layers, bool withKept) {
    auto out = nlohmann::json::array();
    for (const auto& l : layers) {
        nlohmann::json j = {{"layer", l.layer}, {"relevant", l.relevant}};
        if (withKept) {
            j["kept"] = l.kept;
            j["effective_kept"] = l.effective;
        }
        out.push_back(j);
    }
    return out;
}

}  // namespace

// `cx score --units`: a population of one layer's units in one file.
int runPopulationScore(const engine::ScoreRequest& score, const std::string& units, const std::string& shard, bool json) {
    engine::PopulationScoreRequest req;
    static_cast<engine::ScoreSpec&>(req) = score;
    req.model = score.model;
    req.out = score.out;
    req.units = units;
    req.shard = shard;
    engine::JobContext job;
    attachProgress(job);
    auto report = engine::runPopulationScore(req, job);
    if (isatty(STDERR_FILENO)) std::cerr << "\r";
    if (!report) return reportError(report.error());
    const auto& r = report.value();
    if (json) {
        std::cout << nlohmann::json({{"scores", req.out}, {"layer", r.layer}, {"units", r.units}, {"relevant", r.relevant},
                                     {"images", r.images}}).dump(2) << "\n";
    } else {
        std::cout << "wrote " << req.out << ": " << r.units.size() << " units of " << r.layer << " scored over " << r.images
                  << " images (shared forward passes)\n";
    }
    return 0;
}

int runScoreCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"images", "target", "direction", "criterion", "objective", "granularity", "batch-size", "seed",
                     "limit", "resize", "crop", "out", "sparsity", "units", "shard"},
              {"no-normalize", "json", "help", "minmax"});
    if (args.has("help")) return std::cout << kScoreHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("score takes one MODEL file (see cx score --help)");
    for (const char* required : {"images", "target", "out"})
        if (!args.value(required)) return usageError(std::string("score needs --") + required);
    engine::ScoreRequest req;
    std::string err;
    req.model = args.positional()[0];
    req.images = *args.value("images");
    req.target = *args.value("target");
    req.out = *args.value("out");
    req.directionFile = args.value("direction", "");
    req.criterion = args.choice("criterion", req.criterion, engine::parseCriterion, err);
    req.objective = args.value("objective", req.objective);
    req.granularity = args.choice("granularity", req.granularity, engine::parseGranularity, err);
    req.sparsity = args.real("sparsity", 0.0, err).value_or(0);
    req.minmax = args.has("minmax");
    if (!err.empty()) return usageError(err);
    if ((args.has("sparsity") || req.minmax) && req.criterion != engine::Criterion::Force)
        return usageError("--sparsity and --minmax belong to --criterion force (other scores serve every sparsity)");
    readDataOptions(args, req.imageOptions, req.batchSize, req.seed, err);
    if (!err.empty()) return usageError(err);
    if (args.value("units")) return runPopulationScore(req, *args.value("units"), args.value("shard", ""), args.has("json"));
    if (args.value("shard")) return usageError("--shard splits a population: give --units too");
    engine::JobContext job;
    attachProgress(job);
    auto report = engine::runScore(req, job);
    if (isatty(STDERR_FILENO)) std::cerr << "\r";
    if (!report) return reportError(report.error());
    const auto& r = report.value();
    if (args.has("json")) {
        std::cout << nlohmann::json({{"scores", req.out}, {"relevant", r.relevant}, {"images", r.images},
                                     {"layers", layersJson(r.layers, false)}}).dump(2) << "\n";
    } else {
        std::cout << "wrote " << req.out << ": " << r.relevant << " relevant " << engine::nameOf(req.granularity) << " units scored over "
                  << r.images << " images\n";
        for (const auto& l : r.layers) std::cout << "  " << std::left << std::setw(24) << l.layer << l.relevant << "\n";
    }
    return 0;
}

int runPruneCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"scores", "sparsity", "cumulative", "bias", "out"}, {"minmax", "quota", "json", "help"});
    if (args.has("help")) return std::cout << kPruneHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("prune takes one MODEL file (see cx prune --help)");
    for (const char* required : {"scores", "out"})
        if (!args.value(required)) return usageError(std::string("prune needs --") + required);
    if (args.has("sparsity") && args.has("cumulative")) return usageError("prune takes --sparsity or --cumulative, not both");
    engine::PruneRequest req;
    std::string err;
    req.model = args.positional()[0];
    req.scores = *args.value("scores");
    req.out = *args.value("out");
    req.sparsity = args.real("sparsity", 0.0, err).value_or(0);  // 0: FORCE's recorded size
    if (args.has("sparsity") && req.sparsity == 0.0 && err.empty()) err = "sparsity must be in (0, 1], got 0";
    req.bias = args.choice("bias", req.bias, engine::parseBiasMode, err);
    req.minmax = args.has("minmax");
    req.perLayerQuota = args.has("quota");
    req.cumulative = args.real("cumulative", 0.0, err).value_or(0);
    if (args.has("cumulative") && err.empty() && !(req.cumulative > 0.0 && req.cumulative <= 1.0))
        err = "--cumulative must be a share in (0, 1], got " + *args.value("cumulative");
    if (!err.empty()) return usageError(err);
    engine::JobContext job;
    auto report = engine::runPrune(req, job);
    if (!report) return reportError(report.error());
    const auto& r = report.value();
    if (args.has("json")) {
        std::cout << nlohmann::json({{"mask", req.out}, {"sparsity", r.sparsity}, {"relevant", r.relevant}, {"kept", r.kept},
                                     {"effective_kept", r.effectiveKept}, {"disconnected", r.disconnected},
                                     {"layers", layersJson(r.layers, true)}}).dump(2) << "\n";
        return 0;
    }
    std::cout << "wrote " << req.out << "\n  requested sparsity " << r.sparsity << "\n  relevant " << r.relevant
              << "\n  kept " << r.kept << "\n  effective kept " << r.effectiveKept
              << "\n  disconnected " << (r.disconnected ? "yes" : "no") << "\n";
    for (const auto& l : r.layers)
        std::cout << "  " << std::left << std::setw(24) << l.layer << l.kept << " kept / " << l.relevant << " relevant ("
                  << l.effective << " effective)\n";
    return 0;
}

int runMergeCommand(const std::vector<std::string>& argv) {
    static const char* kMergeHelp = R"(usage: cx merge SHARD0 SHARD1 ... --out FILE

Joins the outputs of population shards (cx score / cx sweep --units ... --shard I/N), given in
shard order, into exactly what the unsharded run writes: sweep CSVs (.csv) or population scores
files (.safetensors). Shards of other settings, a unit in two shards or a mix of kinds are refused.
)";
    Args args(argv, {"out"}, {"help"});
    if (args.has("help")) return std::cout << kMergeHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().empty() || !args.value("out")) return usageError("merge takes the shard files in order and --out FILE");
    if (auto st = engine::mergeShards(args.positional(), *args.value("out")); !st) return reportError(st.error());
    std::cout << "wrote " << *args.value("out") << " from " << args.positional().size() << " shards\n";
    return 0;
}

}  // namespace cx::app
