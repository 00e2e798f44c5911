// `cx visualize`: feature visualisations of units, in the model or in a circuit.
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/circuit_option.h"
#include "app/cli/commands.h"
#include "engine/core/parse_number.h"
#include "engine/pruning/population.h"
#include "engine/pruning/pruning.h"
#include "engine/vis/feature_vis.h"

namespace cx::app {
namespace {

const char* kHelp = R"(usage: cx visualize MODEL --unit LAYER:UNIT[,UNIT|A-B...] --out FILE.png|DIR [options]

Optimises an input image for each unit until the unit responds as strongly as it can (feature
visualisation: a Fourier-basis image with decorrelated colours, robustness transforms each step,
Adam), in the model or, with --mask or --scores, in that circuit: the picture then shows what the
unit computes from the circuit's kernels alone. Units are optimised together in batches. The
picture is cropped to the receptive field of the optimised position (cx inspect shows the
fields); pictures are cached by model, circuit, unit and settings, so asking again is instant.

  --unit LAYER:UNITS       units of one layer: 3 | 3,7,9 | 0-15 | all
  --direction FILE         with --unit LAYER: a direction over the layer's channels instead
  --objective neuron|channel   neuron: the unit at the centre position (default); channel: its mean
  --negative               minimise instead of maximise
  --mask MASK.safetensors  optimise in this circuit (a pruned circuit or a learned mask)
  --scores S --sparsity K  or prune this scores file at sparsity K first (as cx prune does)
  --steps N                optimisation steps (default 512)
  --lr X                   Adam's learning rate (default 0.05)
  --size N                 the input's side in pixels (default 224; the demo CNN reads 64)
  --no-normalize           the model reads values in 0..1 (default: ImageNet mean/std, as image folders load)
  --no-transforms          no robustness transforms (sharper, less natural pictures)
  --batch N                units optimised together (default 16)
  --seed N                 (default 0)
  --snapshots K,K...       also write each picture after these steps (DIR/NAME_step<K>.png)
  --no-cache               neither read nor write the cache (default folder: )" "$XDG_CACHE_HOME/circuit-explorer/visualisations)" R"(
  --cache DIR              the cache folder
  --json                   print each picture's unit, activation and crop as JSON

--out FILE.png writes one unit's crop; --out DIR writes NAME.png (the crop) and NAME_full.png per
unit and images.safetensors (key `images`, N x C x H x W, the model's input space).
)";

std::string parseSteps(const std::string& text, std::vector<int>& out) {
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = text.find(',', start);
        const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        start = comma == std::string::npos ? text.size() + 1 : comma + 1;
        const auto v = engine::parseInt64(item);
        if (!v || *v < 1) return "--snapshots: '" + item + "' is not a step number";
        out.push_back(int(*v));
    }
    return {};
}

}  // namespace

int runVisualizeCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"unit", "direction", "objective", "mask", "scores", "sparsity", "steps", "lr", "size", "batch", "seed",
                     "snapshots", "cache", "out"},
              {"negative", "no-normalize", "no-transforms", "no-cache", "json", "help"});
    if (args.has("help")) return std::cout << kHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("visualize takes one MODEL file (see cx visualize --help)");
    if (!args.value("unit") || !args.value("out")) return usageError("visualize needs --unit and --out");
    if (const std::string problem = circuitOptionProblem(args); !problem.empty()) return usageError(problem);
    std::string err;
    engine::VisSettings s;
    s.steps = int(args.integer("steps", 512, err).value_or(0));
    s.learningRate = args.real("lr", 0.05, err).value_or(0);
    s.height = s.width = args.integer("size", 224, err).value_or(0);
    s.batch = args.integer("batch", 16, err).value_or(0);
    s.seed = uint64_t(args.integer("seed", 0, err).value_or(0));
    s.normalize = !args.has("no-normalize");
    s.transforms = !args.has("no-transforms");
    if (!args.has("no-cache")) s.cacheDir = args.value("cache", engine::defaultVisCacheDir());
    if (err.empty() && args.value("snapshots")) err = parseSteps(*args.value("snapshots"), s.snapshots);
    args.real("sparsity", 0.1, err);  // read now, so that a bad number is a usage error before any work
    const std::string objective = args.value("objective", "neuron");
    if (err.empty() && objective != "neuron" && objective != "channel")
        err = "--objective must be neuron or channel, got '" + objective + "'";
    // The objectives: LAYER:UNITS, or LAYER with a direction.
    std::vector<engine::VisObjective> objectives;
    const std::string unitText = *args.value("unit");
    const size_t colon = unitText.rfind(':');
    if (err.empty() && args.has("direction")) {
        if (colon != std::string::npos) err = "give either --unit LAYER:UNIT or --unit LAYER with --direction, not both";
        auto d = engine::readDirection(*args.value("direction"));
        if (err.empty() && !d) return reportError(d.error());
        if (err.empty()) objectives.push_back({unitText, -1, engine::VisKind::Direction, d.take(), args.has("negative")});
    } else if (err.empty() && (colon == std::string::npos || colon == 0)) {
        err = "--unit expects LAYER:UNITS, got '" + unitText + "'";
    }
    if (!err.empty()) return usageError(err);

    auto workspace = engine::Workspace::open(args.positional()[0]);
    if (!workspace) return reportError(workspace.error());
    if (objectives.empty()) {  // LAYER:UNITS, read against the layer's unit count
        const std::string layer = unitText.substr(0, colon);
        const int index = workspace.value()->summary().indexOf(layer);
        if (index < 0) return reportError(engine::invalidInput("the model has no layer '" + layer + "'"));
        auto units = engine::parseUnits(unitText.substr(colon + 1), workspace.value()->summary().layers[size_t(index)].outChannels,
                                        "--unit " + layer + ":");
        if (!units) return reportError(units.error());
        for (int64_t u : units.value())
            objectives.push_back({layer, u, objective == "channel" ? engine::VisKind::Channel : engine::VisKind::Neuron, {},
                                  args.has("negative")});
    }
    engine::JobContext job;
    attachTerminalProgress(job);
    engine::MaskHandle mask;
    if (const int code = circuitFromOptions(*workspace.value(), args, job, mask)) return code;
    auto pictures = engine::visualizeUnits(*workspace.value(), mask, objectives, s, job);
    if (!pictures) return reportError(pictures.error());
    auto files = engine::writeVisualisations(pictures.value(), s, *args.value("out"));
    if (!files) return reportError(files.error());
    if (args.has("json")) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& p : pictures.value())
            list.push_back({{"objective", p.objective.text()}, {"activation", p.activation},
                            {"crop", {p.box[0], p.box[1], p.box[2], p.box[3]}}, {"crop_note", p.cropNote},
                            {"flat", p.flat}, {"from_cache", p.fromCache}});
        std::cout << nlohmann::json({{"pictures", list}, {"files", files.value()}, {"circuit", bool(mask)}}).dump(2) << "\n";
    } else {
        for (const auto& p : pictures.value())
            std::cout << p.objective.text() << ": activation " << p.activation << (p.fromCache ? " (cached)" : "")
                      << (p.cropNote.empty() ? "" : "; whole image: " + p.cropNote)
                      << (p.flat ? "; flat: the unit does not depend on the input in this network (a disconnected circuit?)" : "")
                      << "\n";
        std::cout << "wrote " << files.value().size() << " file(s) to " << *args.value("out") << "\n";
    }
    return 0;
}

}  // namespace cx::app
