// `cx probe`: a unit's activation surface over a parameterised probe set, in the model and in a
// circuit, with the heat maps of both and their difference.
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/circuit_option.h"
#include "app/cli/commands.h"
#include "engine/pruning/circuit_job.h"
#include "engine/pruning/pruning.h"
#include "engine/vis/probe_sets.h"

namespace cx::app {
namespace {

const char* kHelp = R"(usage: cx probe MODEL --unit LAYER:UNIT [--set arcs|corners|lines|colours] --out DIR [options]

Draws a grid of probe images inside the receptive field of the unit's centre position (cx inspect
shows the fields) - white 90-degree arcs over radius x rotation, corners over arm length x
rotation, lines over offset x orientation, or uniform colours over brightness x hue, on black -
and measures the unit there on every probe: its activation surface. With a circuit (--mask, or
--scores with --sparsity) the circuit's surface is measured too, with the difference. Angles: 0
points right, 90 up; an arc's rotation is the way it bulges, a corner's the way it opens.

  --unit LAYER:UNIT        the unit (its centre position for a convolution)
  --set NAME               arcs (default), corners, lines or colours
  --grid ROWSxCOLUMNS      the grid's size (default 8x24)
  --size N                 the input's side in pixels (default 224; the demo CNN reads 64)
  --no-normalize           the model reads values in 0..1 (default: ImageNet mean/std)
  --width W                stroke width in pixels (default 2)
  --mask MASK.safetensors  also measure this circuit
  --scores S --sparsity K  or the circuit pruned from a scores file at sparsity K
  --prune-cell R,C         or the unit's subcircuit for the one probe in row R, column C (0-based):
                           scored on that image alone with --criterion (default actgrad) and kept
                           at --sparsity (default 0.1); DIR also gets probe.safetensors and
                           subcircuit.safetensors (the mask)
  --out DIR                surface.csv, model.png, circuit.png, difference.png (heat maps: rows
                           down, columns across; blue low, red high; each surface over its own
                           range, the difference symmetric about 0; the values are in the CSV)
                           and probes.png (every probe's field as drawn)
  --json                   print the grid and the surfaces as JSON
)";

}  // namespace

int runProbeCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"unit", "set", "grid", "size", "width", "mask", "scores", "sparsity", "prune-cell", "criterion", "out"},
              {"no-normalize", "json", "help"});
    if (args.has("help")) return std::cout << kHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("probe takes one MODEL file (see cx probe --help)");
    if (!args.value("unit") || !args.value("out")) return usageError("probe needs --unit and --out");
    if (args.has("prune-cell") && (args.has("mask") || args.has("scores")))
        return usageError("--prune-cell finds its own circuit: give it without --mask or --scores");
    if (!args.has("prune-cell") && args.has("criterion")) return usageError("--criterion goes with --prune-cell");
    if (const std::string problem = args.has("prune-cell") ? std::string() : circuitOptionProblem(args); !problem.empty())
        return usageError(problem);
    std::string err;
    engine::ProbeSpec spec;
    auto kind = engine::parseProbeKind(args.value("set", "arcs"));
    if (!kind) return usageError("--set: " + kind.error().message);
    spec.kind = kind.value();
    spec.height = spec.width = args.integer("size", 224, err).value_or(0);
    spec.strokeWidth = args.real("width", 2.0, err).value_or(0);
    spec.normalize = !args.has("no-normalize");
    args.real("sparsity", 0.1, err);
    const std::string gridText = args.value("grid", "8x24");
    const size_t x = gridText.find('x');
    try {
        if (x == std::string::npos) throw std::invalid_argument("grid");
        size_t used = 0;
        spec.rows = std::stoll(gridText.substr(0, x), &used);
        if (used != x) throw std::invalid_argument("grid");
        spec.columns = std::stoll(gridText.substr(x + 1), &used);
        if (used != gridText.size() - x - 1) throw std::invalid_argument("grid");
    } catch (const std::exception&) {
        if (err.empty()) err = "--grid expects ROWSxCOLUMNS (e.g. 8x24), got '" + gridText + "'";
    }
    if (err.empty() && !(spec.strokeWidth > 0)) err = "--width must be positive";
    const std::string unitText = *args.value("unit");
    const size_t colon = unitText.rfind(':');
    int64_t unit = -1;
    if (err.empty() && (colon == std::string::npos || colon == 0)) err = "--unit expects LAYER:UNIT, got '" + unitText + "'";
    if (err.empty()) {
        try {
            size_t used = 0;
            unit = std::stoll(unitText.substr(colon + 1), &used);
            if (used != unitText.size() - colon - 1) throw std::invalid_argument("unit");
        } catch (const std::exception&) {
            err = "--unit expects LAYER:UNIT with one unit number, got '" + unitText + "'";
        }
    }
    int64_t cellRow = -1, cellColumn = -1;
    if (err.empty() && args.has("prune-cell")) {
        const std::string cell = *args.value("prune-cell");
        const size_t comma = cell.find(',');
        try {
            size_t used = 0;
            if (comma == std::string::npos) throw std::invalid_argument("cell");
            cellRow = std::stoll(cell.substr(0, comma), &used);
            if (used != comma) throw std::invalid_argument("cell");
            cellColumn = std::stoll(cell.substr(comma + 1), &used);
            if (used != cell.size() - comma - 1) throw std::invalid_argument("cell");
        } catch (const std::exception&) {
            err = "--prune-cell expects ROW,COLUMN (0-based), got '" + cell + "'";
        }
    }
    const auto criterion = args.choice("criterion", engine::Criterion::ActGrad, engine::parseCriterion, err);
    if (!err.empty()) return usageError(err);

    auto workspace = engine::Workspace::open(args.positional()[0]);
    if (!workspace) return reportError(workspace.error());
    engine::JobContext job;
    attachTerminalProgress(job);
    engine::MaskHandle mask;
    const std::string layer = unitText.substr(0, colon);
    if (args.has("prune-cell")) {
        std::error_code ec;
        std::filesystem::create_directories(*args.value("out"), ec);
        engine::CircuitSpec how;
        how.criterion = criterion;
        how.sparsity = args.real("sparsity", 0.1, err).value_or(0.1);
        const std::string dir = *args.value("out");
        auto sub = engine::probeSubcircuit(*workspace.value(), layer, unit, spec, cellRow, cellColumn, dir + "/probe.safetensors", how, job);
        if (!sub) return reportError(sub.error());
        if (auto st = engine::writeMask(*workspace.value(), *sub.value(), dir + "/subcircuit.safetensors"); !st) return reportError(st.error());
        mask = sub.value();
    } else if (const int code = circuitFromOptions(*workspace.value(), args, job, mask)) {
        return code;
    }
    auto surface = engine::activationSurface(*workspace.value(), mask, layer, unit, spec, job);
    if (!surface) return reportError(surface.error());
    auto files = engine::writeSurface(*workspace.value(), surface.value(), spec, *args.value("out"));
    if (!files) return reportError(files.error());
    const auto& s = surface.value();
    const auto best = [&](const std::vector<double>& v) {
        const size_t i = size_t(std::max_element(v.begin(), v.end()) - v.begin());
        const size_t columns = s.grid.columnValues.size();
        return nlohmann::json({{"value", v[i]}, {s.grid.rowName, s.grid.rowValues[i / columns]}, {s.grid.columnName, s.grid.columnValues[i % columns]}});
    };
    if (args.has("json")) {
        nlohmann::json out = {{"unit", unitText}, {"set", engine::probeKindName(spec.kind)}, {"rows", s.grid.rowName},
                              {"columns", s.grid.columnName}, {"row_values", s.grid.rowValues}, {"column_values", s.grid.columnValues},
                              {"field", s.grid.field}, {"centre", {s.grid.centreRow, s.grid.centreCol}}, {"model", s.model},
                              {"model_best", best(s.model)}, {"files", files.value()}};
        if (mask) {
            out["circuit"] = s.circuit;
            out["circuit_best"] = best(s.circuit);
        }
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    const auto describe = [&](const char* name, const std::vector<double>& v) {
        const auto b = best(v);
        std::cout << name << ": best " << b["value"].get<double>() << " at " << s.grid.rowName << " " << b[s.grid.rowName].get<double>()
                  << ", " << s.grid.columnName << " " << b[s.grid.columnName].get<double>() << "\n";
    };
    describe("model", s.model);
    if (mask) describe("circuit", s.circuit);
    std::cout << "wrote " << files.value().size() << " file(s) to " << *args.value("out") << "\n";
    return 0;
}

}  // namespace cx::app
