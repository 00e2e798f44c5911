// `cx top-examples`: the images that most activate units of a layer, with the patches that reach
// them, in the model and (with a circuit) in the circuit beside it.
#include <filesystem>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/circuit_option.h"
#include "app/cli/commands.h"
#include "engine/io/atomic_file.h"
#include "engine/pruning/population.h"
#include "engine/vis/top_examples.h"

namespace cx::app {
namespace {

const char* kHelp = R"(usage: cx top-examples MODEL --images I --layer LAYER [options]

Ranks the images of I by each unit's activation (its largest value over positions, one entry per
image) and keeps each unit's top K, with the patch of the image that reaches the unit (its
receptive field, from the graph; cx inspect shows the fields). Every unit of the layer is ranked
in one batched pass over the images. With a circuit (--mask, or --scores with --sparsity) the same
is done in the circuit too, and each unit's model and circuit examples are shown side by side.

  --images PATH            an image folder or a safetensors file (as cx score)
  --layer LAYER            the layer whose units are ranked
  --units UNITS            3 | 3,7,9 | 0-15 | all (default all)
  --top K                  examples per unit (default 9)
  --mask MASK.safetensors  also rank in this circuit
  --scores S --sparsity K  or in the circuit pruned from a scores file at sparsity K
  --out DIR                write DIR/LAYER_UNIT.png per unit (a row of patches, best first; the
                           circuit's row below the model's) and DIR/examples.json
  --json                   print the examples as JSON
)";

nlohmann::json examplesJson(const engine::UnitExamples& u) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : u.top)
        list.push_back({{"image", e.image}, {"value", e.value}, {"position", {e.row, e.col}},
                        {"box", {e.box[0], e.box[1], e.box[2], e.box[3]}}});
    return list;
}

}  // namespace

int runTopExamplesCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"images", "layer", "units", "top", "mask", "scores", "sparsity", "out", "corpus", "tokenizer", "merges", "context"},
              {"json", "help", "cased"});
    if (args.has("help") && !args.has("corpus")) return std::cout << kHelp << "\nFor token models: cx top-examples MODEL --corpus PATH --help\n", 0;
    if (!args.ok()) return usageError(args.error());
    if (args.has("corpus") && !args.has("help")) {
        if (args.has("images")) return usageError("--images and --corpus do not go together: images for an image model, a corpus for a token model");
        if (args.positional().size() != 1) return usageError("top-examples takes one MODEL file (see cx top-examples --help)");
    }
    if (args.has("corpus")) return runTokenTopExamples(args);
    if (args.has("tokenizer") || args.has("merges") || args.has("context") || args.has("cased"))
        return usageError("--tokenizer, --merges, --context and --cased go with --corpus (a token model's dataset examples)");
    if (args.positional().size() != 1) return usageError("top-examples takes one MODEL file (see cx top-examples --help)");
    if (!args.value("images") || !args.value("layer")) return usageError("top-examples needs --images (an image model) or --corpus (a token model), and --layer");
    if (const std::string problem = circuitOptionProblem(args); !problem.empty()) return usageError(problem);
    std::string err;
    const int64_t k = args.integer("top", 9, err).value_or(0);
    args.real("sparsity", 0.1, err);
    if (err.empty() && k < 1) err = "--top must be at least 1";
    if (!err.empty()) return usageError(err);

    auto workspace = engine::Workspace::open(args.positional()[0]);
    if (!workspace) return reportError(workspace.error());
    auto& ws = *workspace.value();
    const std::string layer = *args.value("layer"), images = *args.value("images");
    const int index = ws.summary().indexOf(layer);
    if (index < 0) return reportError(engine::invalidInput("the model has no layer '" + layer + "'"));
    auto units = engine::parseUnits(args.value("units", "all"), ws.summary().layers[size_t(index)].outChannels, "--units ");
    if (!units) return reportError(units.error());
    engine::JobContext job;
    attachTerminalProgress(job);
    engine::MaskHandle mask;
    if (const int code = circuitFromOptions(ws, args, job, mask)) return code;
    auto model = engine::topExamples(ws, nullptr, images, layer, units.value(), k, job);
    if (!model) return reportError(model.error());
    std::optional<engine::TopExamplesResult> circuit;
    if (mask) {
        auto c = engine::topExamples(ws, mask, images, layer, units.value(), k, job);
        if (!c) return reportError(c.error());
        circuit = c.take();
    }
    nlohmann::json list = nlohmann::json::array();
    for (size_t u = 0; u < model.value().units.size(); ++u) {
        nlohmann::json entry = {{"unit", model.value().units[u].unit}, {"model", examplesJson(model.value().units[u])}};
        if (circuit) entry["circuit"] = examplesJson(circuit->units[u]);
        list.push_back(entry);
    }
    nlohmann::json out = {{"layer", layer}, {"images", images}, {"top", k}, {"units", list}};
    if (!model.value().boxNote.empty()) out["box_note"] = model.value().boxNote;
    if (args.has("out")) {
        auto files = engine::writeExampleSheets(ws, images, model.value(), circuit ? &*circuit : nullptr, *args.value("out"));
        if (!files) return reportError(files.error());
        const std::string json = (std::filesystem::path(*args.value("out")) / "examples.json").string();
        const std::string text = out.dump(2) + "\n";
        if (auto st = engine::writeFileAtomic(json, text.data(), text.size()); !st) return reportError(st.error());
        out["files"] = files.value();
        out["files"].push_back(json);
    }
    if (args.has("json")) {
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    for (size_t u = 0; u < model.value().units.size(); ++u) {
        const auto& m = model.value().units[u];
        std::cout << layer << ":" << m.unit << "  model:";
        for (const auto& e : m.top) std::cout << " " << e.image << " (" << e.value << ")";
        if (circuit) {
            std::cout << "\n" << std::string(layer.size() + std::to_string(m.unit).size() + 1, ' ') << "  circuit:";
            for (const auto& e : circuit->units[u].top) std::cout << " " << e.image << " (" << e.value << ")";
        }
        std::cout << "\n";
    }
    if (!model.value().boxNote.empty()) std::cout << "patches are whole images: " << model.value().boxNote << "\n";
    if (args.has("out")) std::cout << "wrote " << model.value().units.size() + 1 << " file(s) to " << *args.value("out") << "\n";
    return 0;
}

}  // namespace cx::app
