// `cx diagram`: the extended circuit diagram of a mask, laid out by Graphviz and exported.
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "engine/diagram/diagram.h"
#include "engine/diagram/diagram_detail.h"
#include "engine/diagram/diagram_layout.h"
#include "engine/diagram/node_images.h"
#include "engine/pruning/pruning.h"
#include "engine/vis/feature_vis.h"

namespace cx::app {
namespace {

const char* kHelp = R"(usage: cx diagram MODEL --mask MASK.safetensors --out FILE.svg|png|pdf|dot [options]

Draws the circuit of a mask file: one node per kept unit (filters, neurons, input channels), one
rank per layer, one edge per kept kernel. Edge width follows the kernel's saliency (the mask's
scores, or --scores), edge colour the sign balance of its weights (blue negative, grey mixed, red
positive). The target unit is yellow. Dead ends are left out unless --show-dead draws them grey.

Levels of detail: a circuit too large to draw kernel by kernel (more than 20000 edges) is drawn as
its block overview instead - one vertex per block (a residual block, an inception module, a
transformer block), edges weighted by the kernels they join - with a note saying so.

  --level L                block | layer | unit | kernel (default kernel, or the overview when too large):
                           unit draws every kept unit with its --top-edges strongest edges in and out
  --expand NAME[=L],...    draw these blocks, layers or units (LAYER:UNIT) at level L (default unit)
  --focus LAYER:UNIT       only this unit's cone: --depth edges up and down, its --top-edges per unit
  --depth N                the focus cone's reach (default 2)
  --top-edges K            strongest edges kept per unit at the unit level and in a focus (default 4; 0: all)
  --all-edges              the focus cone with every edge
  --max-edges N            the most edges one view draws (default 20000; past 2000 the engine's
                           layered layout places them, as Graphviz's dot would take minutes)
  --scores S.safetensors   saliency from a `cx score` file (masks from `cx prune` carry their own)
  --dpi N                  PNG resolution (default 96)
  --show-dead              draw kernels that lie on no input-to-target path, greyed
  --bottom-to-top          ranks from the bottom up instead of left to right
  --json                   print node and edge counts as JSON

Vertex pictures (seed 002's extended circuit diagrams):
  --pictures vis|crop|kernel   vis: each unit's feature visualisation w.r.t. this circuit (cx visualize;
                           cached); crop: the receptive-field crop of its top-activating image among
                           --images; kernel: first-layer filters' weights only
  --images PATH            the images for --pictures crop
  --size N, --no-normalize, --steps N, --no-cache   for --pictures vis, as for cx visualize
                           (the demo CNN: --size 64 --no-normalize)
)";

// --expand "layer1.0,layer2.1=kernel,fc:3": each name's level (unit when not given).
std::string parseExpansions(const std::string& text, std::map<std::string, engine::DetailLevel>& out) {
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        start = comma == std::string::npos ? text.size() + 1 : comma + 1;
        if (item.empty()) continue;
        engine::DetailLevel level = engine::DetailLevel::Unit;
        if (const size_t eq = item.rfind('='); eq != std::string::npos) {
            auto parsed = engine::parseDetailLevel(item.substr(eq + 1));
            if (!parsed) return "--expand " + item + ": " + parsed.error().message;
            level = parsed.value();
            item.resize(eq);
        }
        out[item] = level;
    }
    return {};
}


}  // namespace

int runDiagramCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"mask", "scores", "out", "dpi", "level", "expand", "focus", "depth", "top-edges", "max-edges", "pictures",
                     "images", "size", "steps"},
              {"show-dead", "bottom-to-top", "json", "help", "all-edges", "no-normalize", "no-cache"});
    if (args.has("help")) return std::cout << kHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("diagram takes one MODEL file (see cx diagram --help)");
    if (!args.value("mask") || !args.value("out")) return usageError("diagram needs --mask and --out");
    std::string err;
    const double dpi = args.real("dpi", 96, err).value_or(0);
    engine::DetailSpec detail;
    detail.level = args.choice("level", engine::DetailLevel::Kernel, engine::parseDetailLevel, err);
    detail.depth = int(args.integer("depth", 2, err).value_or(2));
    detail.topEdges = args.integer("top-edges", 4, err).value_or(4);
    detail.focus = args.value("focus", "");
    detail.allEdges = args.has("all-edges");
    const int64_t maxEdges = args.integer("max-edges", 20000, err).value_or(20000);
    if (err.empty() && maxEdges < 1) err = "--max-edges must be at least 1";
    if (err.empty() && args.value("expand")) err = parseExpansions(*args.value("expand"), detail.expanded);
    if (err.empty() && detail.depth < 1) err = "--depth must be at least 1";
    if (err.empty() && detail.topEdges < 0) err = "--top-edges must be 0 (every edge) or more";
    if (err.empty() && (args.has("depth") || args.has("all-edges")) && detail.focus.empty()) err = "--depth and --all-edges go with --focus";
    const std::string pictures = args.value("pictures", "");
    if (err.empty() && !pictures.empty() && pictures != "vis" && pictures != "crop" && pictures != "kernel")
        err = "--pictures must be vis, crop or kernel, got '" + pictures + "'";
    if (err.empty() && pictures == "crop" && !args.has("images")) err = "--pictures crop needs --images";
    engine::VisSettings vis;
    vis.steps = int(args.integer("steps", 512, err).value_or(0));
    vis.height = vis.width = args.integer("size", 224, err).value_or(0);
    vis.normalize = !args.has("no-normalize");
    if (!args.has("no-cache")) vis.cacheDir = engine::defaultVisCacheDir();
    if (!err.empty()) return usageError(err);
    engine::DiagramOptions options;
    options.showDeadEnds = args.has("show-dead");
    options.leftToRight = !args.has("bottom-to-top");
    options.maxEdges = maxEdges;
    auto workspace = engine::Workspace::open(args.positional()[0]);
    if (!workspace) return reportError(workspace.error());
    auto mask = engine::readMask(*workspace.value(), *args.value("mask"));
    if (!mask) return reportError(mask.error());
    engine::ScoresHandle scores;
    if (args.has("scores")) {
        auto read = engine::readScores(*workspace.value(), *args.value("scores"));
        if (!read) return reportError(read.error());
        scores = read.value();
    }
    auto whole = engine::buildDiagram(*workspace.value(), *mask.value(), scores.get(), options);
    if (!whole) return reportError(whole.error());
    // Asked for a level, an expansion or a focus: that view or a refusal; otherwise what fits.
    const bool asked = args.has("level") || args.has("expand") || !detail.focus.empty();
    auto diagram = asked ? engine::diagramAtDetail(whole.value(), detail, options) : engine::drawableDiagram(whole.value(), detail, options);
    if (!diagram) return reportError(diagram.error());
    if (!pictures.empty()) {  // on the view drawn: only its vertices get pictures
        engine::JobContext job;
        attachTerminalProgress(job);
        auto st = engine::addNodeImages(diagram.value(), *workspace.value(), args.value("images", ""), job);
        if (st && pictures == "vis") st = engine::addVisualisationPictures(diagram.value(), *workspace.value(), mask.value(), vis, job);
        if (!st) return reportError(st.error());
        options.pictures = true;
    }
    if (auto st = engine::exportDiagram(diagram.value(), options, *args.value("out"), dpi); !st) return reportError(st.error());
    const auto& d = diagram.value();
    int64_t dead = 0, groups = 0;
    for (const auto& e : d.edges) dead += e.dead ? 1 : 0;
    for (const auto& n : d.nodes) groups += n.kind == engine::NodeKind::Unit ? 0 : 1;
    if (args.has("json")) {
        std::cout << nlohmann::json({{"nodes", d.nodes.size()}, {"edges", d.edges.size()}, {"dead_edges", dead},
                                     {"group_nodes", groups}, {"hidden_edges", d.hiddenEdges},
                                     {"level", engine::detailLevelName(d.detail.level)}, {"focus", d.detail.focus},
                                     {"layers", d.layers}, {"notes", d.notes}, {"out", *args.value("out")}})
                         .dump(2)
                  << "\n";
    } else {
        std::cout << "wrote " << *args.value("out") << ": " << d.nodes.size() << " vertices"
                  << (groups ? ", " + std::to_string(groups) + " of them blocks or layers" : std::string()) << ", "
                  << d.edges.size() << " edges over " << d.layers.size() << " ranks";
        if (d.hiddenEdges > 0) std::cout << " (" << d.hiddenEdges << " weaker edges not drawn)";
        std::cout << "\n";
        for (const auto& n : d.notes) std::cout << "note: " << n << "\n";
    }
    return 0;
}

}  // namespace cx::app
