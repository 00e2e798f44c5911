// `cx polysemantic`: a unit's top patches clustered by the layer's response to them, and a
// subcircuit per cluster with its cross-preservation curves and per-layer IoU (seed 002, Fig. 5).
#include <cmath>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "engine/core/parse_number.h"
#include "engine/vis/polysemantic.h"

namespace cx::app {
namespace {

const char* kHelp = R"(usage: cx polysemantic MODEL --images IMAGES --target LAYER:UNIT --out DIR [options]

Takes the unit's top activations over IMAGES (one per image, with the patch of its receptive
field), the layer's response to each (all its channels at that position), and clusters those
responses by density (HDBSCAN with a minimum cluster size). Then, unless --no-prune, prunes one
subcircuit per cluster that preserves the unit's top activation on that cluster's images (scores
with the "max" objective on them alone) at every sparsity, and measures each subcircuit's
delta-f-norm on its own cluster and on the others: a unit whose clusters are computed apart keeps
its own cluster longer than the others (seed 002, Fig. 5).

  --images IMAGES          a safetensors image file (used as it is) or an image folder (ImageNet
                           preprocessing)
  --target LAYER:UNIT      the unit
  --top N                  top activations, one per image (default 300)
  --min-cluster-size N     the smallest cluster (default 10)
  --min-samples N          the neighbour that sets a point's core distance (default: the minimum
                           cluster size)
  --criterion NAME         actgrad (default), snip, magnitude or random (not force)
  --sparsities A,B,...     levels, dense to sparse (default 20 from 0.5 to 0.005)
  --threshold T            each cluster's mask is its sparsest level before its own delta-f-norm
                           reaches T (default 0.15, the seed's)
  --control                also two subcircuits of a random half split of the clustered patches
                           (their curves should overlap: the seed's Fig. 6)
  --seed N                 the control split (default 0)
  --batch-size N           images per pass (default 32)
  --no-prune               only cluster
  --out DIR                clusters.json, patches_cluster_K.png (noise.png: the unclustered),
                           and with pruning cluster_K.safetensors (its images),
                           mask_cluster_K.safetensors, curves.csv, curves.svg, iou.csv, iou.svg
  --json                   print clusters.json
)";

// "0.5,0.1,0.01" into levels; sets `error` on a bad entry.
std::vector<double> levelsOf(const std::string& text, std::string& error) {
    std::vector<double> out;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = std::min(text.find(',', start), text.size());
        auto v = engine::parseFinite(text.substr(start, comma - start));
        if (!v) {
            error = "--sparsities expects numbers separated by commas, got '" + text + "'";
            return {};
        }
        out.push_back(*v);
        start = comma + 1;
    }
    return out;
}

}  // namespace

int runPolysemanticCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"images", "target", "top", "min-cluster-size", "min-samples", "criterion", "sparsities", "threshold", "seed",
                     "batch-size", "out"},
              {"control", "no-prune", "json", "help"});
    if (args.has("help")) return std::cout << kHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("polysemantic takes one MODEL file (see cx polysemantic --help)");
    if (!args.value("images") || !args.value("target") || !args.value("out"))
        return usageError("polysemantic needs --images, --target and --out");
    std::string err;
    engine::PolysemanticSpec spec;
    spec.images = *args.value("images");
    const std::string target = *args.value("target");
    const size_t colon = target.rfind(':');
    auto unit = colon == std::string::npos || colon == 0 ? std::nullopt : engine::parseInt64(target.substr(colon + 1));
    if (!unit || *unit < 0) return usageError("--target expects LAYER:UNIT with one unit number, got '" + target + "'");
    spec.layer = target.substr(0, colon);
    spec.unit = *unit;
    spec.top = args.integer("top", 300, err).value_or(0);
    spec.clustering.minClusterSize = args.integer("min-cluster-size", 10, err).value_or(0);
    spec.clustering.minSamples = args.integer("min-samples", 0, err).value_or(0);
    spec.criterion = args.choice("criterion", engine::Criterion::ActGrad, engine::parseCriterion, err);
    spec.threshold = args.real("threshold", 0.15, err).value_or(0);
    spec.seed = uint64_t(args.integer("seed", 0, err).value_or(0));
    spec.batchSize = args.integer("batch-size", 32, err).value_or(0);
    spec.control = args.has("control");
    if (args.has("sparsities")) spec.sparsities = levelsOf(*args.value("sparsities"), err);
    if (err.empty() && spec.clustering.minClusterSize < 2) err = "--min-cluster-size must be at least 2";
    if (err.empty() && args.has("min-samples") && spec.clustering.minSamples < 1) err = "--min-samples must be at least 1";
    if (err.empty() && spec.batchSize < 1) err = "--batch-size must be at least 1";
    if (err.empty() && spec.criterion == engine::Criterion::Force)
        err = "cluster subcircuits are not pruned with FORCE (its schedule runs for one circuit size); choose another criterion";
    if (err.empty() && args.has("no-prune") && (args.has("control") || args.has("sparsities") || args.has("criterion")))
        err = "--no-prune only clusters: --control, --sparsities and --criterion go with pruning";
    if (!err.empty()) return usageError(err);

    auto workspace = engine::Workspace::open(args.positional()[0]);
    if (!workspace) return reportError(workspace.error());
    engine::JobContext job;
    attachTerminalProgress(job);
    auto result = engine::clusterTopPatches(*workspace.value(), spec, job);
    if (!result) return reportError(result.error());
    auto& r = result.value();
    const std::string dir = *args.value("out");
    if (!args.has("no-prune") && r.clusterCount > 0)
        if (auto st = engine::pruneSubcircuits(*workspace.value(), spec, r, dir, job); !st) return reportError(st.error());
    auto files = engine::writePolysemantic(*workspace.value(), spec, r, dir);
    if (!files) return reportError(files.error());
    if (args.has("json")) {
        std::cout << engine::polysemanticJson(spec, r);
        return 0;
    }
    int64_t noise = 0;
    for (int64_t l : r.labels) noise += l < 0;
    std::cout << r.examples.top.size() << " top patches of " << target << ": " << r.clusterCount << " cluster(s), " << noise
              << " unclustered\n";
    for (const auto& g : r.groups) {
        std::cout << "  " << g.name << ": " << g.members.size() << " patches";
        if (g.mask) {
            std::cout << "; mask at sparsity " << r.sparsities[g.chosen] << (g.chosenBelowThreshold ? "" : " (above the threshold at every level)")
                      << ", delta-f-norm there:";
            for (size_t h = 0; h < r.groups.size(); ++h) std::cout << " " << r.groups[h].name << " " << g.dfnorm[h][g.chosen];
        }
        std::cout << "\n";
    }
    if (r.clusterCount == 0) std::cout << "no clusters: the unit's top patches are one population at this minimum size\n";
    std::cout << "wrote " << files.value().size() << " file(s) to " << dir << "\n";
    return 0;
}

}  // namespace cx::app
