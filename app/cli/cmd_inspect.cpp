#include <algorithm>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/diagram/layer_blocks.h"

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "engine/model/model.h"

namespace cx::app {
namespace {

const char* kHelp = R"(usage: cx inspect MODEL [--json]

Lists the convolution and linear layers of a TorchScript model (parameter path, kind, weight
shape, stride / padding / dilation / groups, bias) and where each layer's input channels come
from (the channel dependency graph), following the model's real data flow. A convolution's
"field" is the receptive field of one output position: SIZE/JUMP in input pixels ("whole" when
every pixel reaches it, "+g" when every pixel also reaches it through a squeeze-and-excitation
gate, "?" where the graph does something the analysis does not follow; --json says what).

  --json    one JSON object: {"model", "sha256", "parameters", "layers": [...], "notes": [...]}
)";

std::string shapeText(const std::vector<int64_t>& shape) {
    std::ostringstream s;
    for (size_t i = 0; i < shape.size(); ++i) s << (i ? "x" : "") << shape[i];
    return s.str();
}

// One output position's input pixels: {"kind": "exact", "jump", "start", "size"} (rows, columns),
// {"kind": "whole"}, or {"kind": "unknown", "reason"}.
nlohmann::json fieldJson(const engine::ReceptiveField& f) {
    using Kind = engine::ReceptiveField::Kind;
    if (f.kind == Kind::Whole) return {{"kind", "whole"}};
    if (f.kind == Kind::Unknown) return {{"kind", "unknown"}, {"reason", f.reason}};
    return {{"kind", "exact"}, {"jump", {f.jump[0], f.jump[1]}}, {"start", {f.start[0], f.start[1]}},
            {"size", {f.size[0], f.size[1]}}, {"global_gain", f.globalGain}};
}

// The table's short form: "19x19/4" (size / jump), "whole", "?".
std::string fieldText(const engine::ReceptiveField& f) {
    using Kind = engine::ReceptiveField::Kind;
    if (f.kind == Kind::Whole) return "whole";
    if (f.kind == Kind::Unknown) return "?";
    return std::to_string(f.size[0]) + "x" + std::to_string(f.size[1]) + "/" + std::to_string(f.jump[0]) +
           (f.jump[0] == f.jump[1] ? "" : "," + std::to_string(f.jump[1])) + (f.globalGain ? "+g" : "");
}

nlohmann::json toJson(const engine::ModelSummary& summary) {
    using nlohmann::json;
    json layers = json::array();
    std::vector<std::string> names;
    for (const auto& l : summary.layers) names.push_back(l.name);
    const auto blocks = engine::layerBlocks(names);  // as the diagrams' block overview groups them
    for (const auto& l : summary.layers) {
        json inputs = json::array();
        for (const auto& s : l.inputs)
            inputs.push_back({{"layer", summary.sourceName(s.source)}, {"channel_offset", s.channelOffset},
                              {"channels", s.channels}, {"source_offset", s.sourceOffset},
                              {"source_channels", s.sourceChannels}, {"mode", engine::flowModeName(s.mode)}});
        json layer = {{"name", l.name}, {"kind", engine::layerKindName(l.kind)}, {"param", l.param},
                      {"weight_shape", l.weightShape}, {"bias", l.hasBias()},
                      {"bias_param", l.hasBias() ? json(l.biasParam) : json(nullptr)},
                      {"in_channels", l.inChannels}, {"out_channels", l.outChannels},
                      {"reachable", l.reachable}, {"inputs", inputs}, {"block", blocks[layers.size()]}};
        if (l.isConv()) {
            layer["stride"] = l.stride;
            layer["padding"] = l.padding;
            layer["dilation"] = l.dilation;
            layer["groups"] = l.groups;
        }
        layer["receptive_field"] = fieldJson(l.field);
        if (l.inControlFlow) layer["in_control_flow"] = true;
        if (l.heads > 0) {
            layer["heads"] = l.heads;
            layer["attention"] = l.attention;
        }
        if (!l.isConv()) {  // where the layer's examples lie: a dimension, or rows of a 2-D view
            if (l.exampleDim == engine::kExamplesMergedMajor) layer["examples"] = "rows (example-major)";
            else if (l.exampleDim == engine::kExamplesMergedMinor) layer["examples"] = "rows (position-major)";
            else if (l.exampleDim == engine::kExamplesUnknown) layer["examples"] = "unknown";
            else layer["examples"] = "dimension " + std::to_string(l.exampleDim);
        }
        layers.push_back(layer);
    }
    return {{"model", summary.path}, {"sha256", summary.sha256}, {"parameters", summary.parameterCount},
            {"layers", layers}, {"notes", summary.notes}};
}

void printTable(const engine::ModelSummary& summary) {
    std::cout << summary.path << "\n  " << summary.layers.size() << " layers, " << summary.parameterCount
              << " parameters, sha256 " << summary.sha256.substr(0, 16) << "...\n\n";
    // The name column fits the longest name (torchvision's attention layers run past 40).
    size_t nameWidth = 24;
    for (const auto& l : summary.layers) nameWidth = std::max(nameWidth, l.name.size() + 9);
    const int width = static_cast<int>(nameWidth);
    std::cout << std::left << std::setw(4) << "#" << std::setw(width) << "layer" << std::setw(10) << "kind"
              << std::setw(16) << "weight" << std::setw(22) << "stride/pad/dil/grp" << std::setw(12) << "field" << "inputs\n";
    for (size_t i = 0; i < summary.layers.size(); ++i) {
        const auto& l = summary.layers[i];
        std::string geometry = "-";
        if (l.isConv())
            geometry = shapeText(l.stride) + "/" + shapeText(l.padding) + "/" + shapeText(l.dilation) + "/" +
                       std::to_string(l.groups);
        std::string inputs;
        for (const auto& s : l.inputs) {
            if (!inputs.empty()) inputs += ", ";
            inputs += summary.sourceName(s.source);
            if (s.mode == engine::FlowMode::Dense) inputs += " (all)";
            else inputs += "[" + std::to_string(s.sourceOffset) + ":" +
                           std::to_string(s.sourceOffset + s.sourceChannels) + "]->" +
                           std::to_string(s.channelOffset) + (s.mode == engine::FlowMode::Expand ? " (flatten)" : "");
        }
        std::cout << std::setw(4) << i << std::setw(width) << (l.name + (l.reachable ? "" : " (dead)"))
                  << std::setw(10) << engine::layerKindName(l.kind) << std::setw(16) << shapeText(l.weightShape)
                  << std::setw(22) << geometry << std::setw(12) << (l.isConv() ? fieldText(l.field) : "-") << inputs << (l.hasBias() ? "" : "  [no bias]") << "\n";
    }
    for (const auto& note : summary.notes) std::cout << "note: " << note << "\n";
}

}  // namespace

int runInspect(const std::vector<std::string>& argv) {
    Args args(argv, {}, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp;
        return 0;
    }
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("inspect takes one MODEL file (see cx inspect --help)");
    auto model = engine::Model::load(args.positional()[0]);
    if (!model) return reportError(model.error());
    if (args.has("json")) std::cout << toJson(model.value()->summary()).dump(2) << "\n";
    else printTable(model.value()->summary());
    return 0;
}

}  // namespace cx::app
