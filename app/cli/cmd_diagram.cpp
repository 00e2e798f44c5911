// `cx diagram`: the extended circuit diagram of a mask, laid out by Graphviz and exported.
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "engine/diagram/diagram.h"
#include "engine/diagram/diagram_layout.h"

namespace cx::app {
namespace {

const char* kHelp = R"(usage: cx diagram MODEL --mask MASK.safetensors --out FILE.svg|png|pdf|dot [options]

Draws the circuit of a mask file: one node per kept unit (filters, neurons, input channels), one
rank per layer, one edge per kept kernel. Edge width follows the kernel's saliency (the mask's
scores, or --scores), edge colour the sign balance of its weights (blue negative, grey mixed, red
positive). The target unit is yellow. Dead ends are left out unless --show-dead draws them grey.

  --scores S.safetensors   saliency from a `cx score` file (masks from `cx prune` carry their own)
  --dpi N                  PNG resolution (default 96)
  --show-dead              draw kernels that lie on no input-to-target path, greyed
  --bottom-to-top          ranks from the bottom up instead of left to right
  --json                   print node and edge counts as JSON
)";

}  // namespace

int runDiagramCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"mask", "scores", "out", "dpi"}, {"show-dead", "bottom-to-top", "json", "help"});
    if (args.has("help")) return std::cout << kHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("diagram takes one MODEL file (see cx diagram --help)");
    if (!args.value("mask") || !args.value("out")) return usageError("diagram needs --mask and --out");
    std::string err;
    const double dpi = args.real("dpi", 96, err).value_or(0);
    if (!err.empty()) return usageError(err);
    engine::DiagramOptions options;
    options.showDeadEnds = args.has("show-dead");
    options.leftToRight = !args.has("bottom-to-top");
    auto diagram = engine::buildDiagram(args.positional()[0], *args.value("mask"), args.value("scores", ""), options);
    if (!diagram) return reportError(diagram.error());
    if (auto st = engine::exportDiagram(diagram.value(), options, *args.value("out"), dpi); !st) return reportError(st.error());
    const auto& d = diagram.value();
    int64_t dead = 0;
    for (const auto& e : d.edges) dead += e.dead ? 1 : 0;
    if (args.has("json")) {
        std::cout << nlohmann::json({{"nodes", d.nodes.size()}, {"edges", d.edges.size()}, {"dead_edges", dead},
                                     {"layers", d.layers}, {"notes", d.notes}, {"out", *args.value("out")}})
                         .dump(2)
                  << "\n";
    } else {
        std::cout << "wrote " << *args.value("out") << ": " << d.nodes.size() << " units, " << d.edges.size() << " edges over "
                  << d.layers.size() << " ranks\n";
        for (const auto& n : d.notes) std::cout << "note: " << n << "\n";
    }
    return 0;
}

}  // namespace cx::app
