#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "engine/core/parse_number.h"
#include "engine/masks/mask_iou.h"
#include "engine/pruning/pruning.h"
#include "engine/pruning/sweep_job.h"

namespace cx::app {
namespace {

const char* kSweepHelp = R"(usage: cx sweep MODEL --images DIR|FILE.safetensors --target LAYER:UNIT --out CURVE.csv [options]

Feature preservation curve: for each criterion, the circuit at each sparsity and how well it
preserves the target (|Pearson r| and delta-f-norm). Scores are computed once per criterion
(FORCE once per sweep) and the original activations once.

  --criteria LIST          comma-separated: actgrad,snip,force,magnitude,random (default: all)
  --sparsities LIST        comma-separated fractions kept (default: the 13 levels 0.9 .. 0.001)
  --eval-images PATH       evaluate on other images than the scoring ones (cross-preservation)
  --metric pearson|dfnorm  the metric shown in the table (the CSV has both)
  --pearson-mode M         flattened (default: all images x positions), image-mean, image-max
  --objective O            sum-abs (default), max, mean, sum, position:H,W
  --granularity G          kernel (default), filter (conv filters / linear neurons), weight
  --direction FILE         with --target LAYER: coefficients over the layer's channels
  --units SPEC             with --target LAYER: a population (0-47, 3,7,9 or all) in one run and one
                           CSV with a leading unit column; the original activations and the
                           ActGrad/SNIP scoring forwards are shared, each unit's rows equal its own sweep
  --shard I/N              with --units: only shard I (0-based) of N contiguous parts of the units;
                           `cx merge` joins the shards' CSVs into exactly the unsharded one
  --bias masked|pruned, --minmax, --batch-size B, --seed S, --limit N,
  --resize N, --crop N, --no-normalize   as for cx score / cx prune
  --json                   print the points as JSON
)";

const char* kIouHelp = R"(usage: cx iou MASK_A MASK_B [--json]

Per-layer intersection over union of the kernels kept by two masks of the same model.
)";

std::vector<std::string> splitList(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream s(text);
    std::string item;
    while (std::getline(s, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

}  // namespace

int runSweepCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"images", "eval-images", "target", "direction", "criteria", "sparsities", "metric", "pearson-mode", "granularity",
                     "objective", "bias", "batch-size", "seed", "limit", "resize", "crop", "out", "units", "shard"},
              {"minmax", "no-normalize", "json", "help"});
    if (args.has("help")) return std::cout << kSweepHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("sweep takes one MODEL file (see cx sweep --help)");
    for (const char* required : {"images", "target", "out"})
        if (!args.value(required)) return usageError(std::string("sweep needs --") + required);
    const std::string metric = args.value("metric", "pearson");
    if (metric != "pearson" && metric != "dfnorm") return usageError("--metric must be pearson or dfnorm");
    engine::SweepRequest req;
    std::string err;
    req.model = args.positional()[0];
    req.images = *args.value("images");
    req.evalImages = args.value("eval-images", "");
    req.target = *args.value("target");
    req.out = *args.value("out");
    req.directionFile = args.value("direction", "");
    req.objective = args.value("objective", req.objective);
    readCriteria(args, req.criteria, err);
    if (!err.empty()) return usageError(err);
    if (auto list = args.value("sparsities")) {
        for (const auto& item : splitList(*list)) {
            const auto v = engine::parseFinite(item);
            if (!v) return usageError("--sparsities: '" + item + "' is not a number");
            req.sparsities.push_back(*v);
        }
        if (req.sparsities.empty()) return usageError("--sparsities lists no level (give e.g. 0.5,0.1)");
    }
    req.pearson = args.choice("pearson-mode", req.pearson, engine::parsePearsonMode, err);
    req.granularity = args.choice("granularity", req.granularity, engine::parseGranularity, err);
    req.bias = args.choice("bias", req.bias, engine::parseBiasMode, err);
    req.minmax = args.has("minmax");
    req.units = args.value("units", "");
    req.shard = args.value("shard", "");
    if (!req.shard.empty() && req.units.empty()) return usageError("--shard splits a population: give --units too");
    readDataOptions(args, req.imageOptions, req.batchSize, req.seed, err);
    if (!err.empty()) return usageError(err);
    engine::JobContext job;
    if (isatty(STDERR_FILENO))
        job.onProgress = [](const engine::Progress& p) {
            std::cerr << "\r" << std::left << std::setw(20) << p.stage << std::fixed << std::setprecision(0)
                      << 100.0 * p.fraction << "%   " << std::flush;
        };
    auto points = engine::runSweep(req, job);
    if (isatty(STDERR_FILENO)) std::cerr << "\r" << std::string(40, ' ') << "\r";
    if (!points) return reportError(points.error());
    if (args.has("json")) {
        auto arr = nlohmann::json::array();
        for (const auto& p : points.value())
        {
            nlohmann::json point = {{"criterion", engine::nameOf(p.criterion)}, {"sparsity", p.sparsity}, {"relevant", p.relevant},
                                    {"kept", p.kept}, {"effective_kept", p.effectiveKept}, {"disconnected", p.disconnected},
                                    {"pearson", p.pearson}, {"dfnorm", p.dfnorm}};
            if (p.unit >= 0) point["unit"] = p.unit;
            arr.push_back(point);
        }
        std::cout << nlohmann::json({{"curve", req.out}, {"points", arr}}).dump(2) << "\n";
        return 0;
    }
    std::cout << "wrote " << req.out << " (" << metric << ")\n";
    if (!req.units.empty()) std::cout << std::left << std::setw(7) << "unit";
    std::cout << std::left << std::setw(12) << "criterion" << std::setw(10) << "sparsity" << std::setw(10) << "kept"
              << std::setw(12) << "effective" << metric << "\n";
    for (const auto& p : points.value())
        std::cout << std::left << (p.unit >= 0 ? std::to_string(p.unit) : std::string()) << std::setw(p.unit >= 0 ? int(7 - std::to_string(p.unit).size()) : 0) << ""
                  << std::setw(12) << engine::nameOf(p.criterion) << std::setw(10) << p.sparsity << std::setw(10) << p.kept
                  << std::setw(12) << p.effectiveKept << std::fixed << std::setprecision(4)
                  << (metric == "pearson" ? p.pearson : p.dfnorm) << (p.disconnected ? "  (disconnected)" : "")
                  << std::defaultfloat << "\n";
    return 0;
}

int runIouCommand(const std::vector<std::string>& argv) {
    Args args(argv, {}, {"json", "help"});
    if (args.has("help")) return std::cout << kIouHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 2) return usageError("iou takes two mask files (see cx iou --help)");
    auto layers = engine::maskIoU(args.positional()[0], args.positional()[1]);
    if (!layers) return reportError(layers.error());
    if (args.has("json")) {
        auto arr = nlohmann::json::array();
        for (const auto& l : layers.value())
            arr.push_back({{"param", l.param}, {"only_a", l.onlyA}, {"both", l.both}, {"only_b", l.onlyB},
                           {"iou", std::isnan(l.iou) ? nlohmann::json(nullptr) : nlohmann::json(l.iou)}});
        std::cout << nlohmann::json({{"layers", arr}}).dump(2) << "\n";
        return 0;
    }
    size_t width = 0;  // the longest parameter path, then two spaces
    for (const auto& l : layers.value()) width = std::max(width, l.param.size() + 2);
    for (const auto& l : layers.value())
        std::cout << std::left << std::setw(int(width)) << l.param << "IoU " << iouText(l.iou)
                  << "  (only A " << l.onlyA << ", both " << l.both << ", only B " << l.onlyB << ")\n";
    return 0;
}

}  // namespace cx::app
