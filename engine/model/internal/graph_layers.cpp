#include "engine/model/internal/graph_layers.h"

#include <torch/csrc/jit/ir/constants.h>

#include "engine/model/internal/graph_constants.h"
#include "engine/model/internal/model_impl.h"

namespace cx::engine {
namespace {

using torch::jit::Node;
using torch::jit::Value;



bool isNone(Value* value) {
    auto iv = torch::jit::toIValue(value);
    return iv && iv->isNone();
}

// A weight operand: the parameter itself, or its transpose (x @ W.t()).
struct WeightRef {
    std::string path;
    bool transposed = false;
};

std::optional<WeightRef> weightOperand(Value* value) {
    std::string path = attributePath(value);
    if (!path.empty()) return WeightRef{path, false};
    Node* node = value->node();
    const auto kind = node->kind();
    if (kind == c10::aten::t || kind == c10::aten::transpose || kind == c10::aten::permute) {
        path = attributePath(node->input(0));
        if (!path.empty()) return WeightRef{path, true};
    }
    return std::nullopt;
}

std::string layerNameOf(const std::string& param) {
    auto dot = param.rfind('.');
    return dot == std::string::npos ? param : param.substr(0, dot);
}

// padding='same' / 'valid' (conv2d.padding, _convolution_mode): the numbers it stands for.
// 'same' pads dilation * (k - 1) in total; an odd total pads one more on the far side, which
// one symmetric padding per dimension cannot state: then the padding stays empty and the
// kernel-map computations refuse the layer with the reason.
void fillStringPadding(const std::string& mode, const std::vector<int64_t>& kernel, LayerInfo& info,
                       std::vector<std::string>& notes) {
    info.padding.assign(kernel.size(), 0);
    if (mode == "valid") return;
    for (size_t d = 0; d < kernel.size(); ++d) {
        const int64_t dilation = d < info.dilation.size() ? info.dilation[d] : 1;
        const int64_t total = dilation * (kernel[d] - 1);
        if (total % 2 != 0 || mode != "same") {
            notes.push_back("layer " + info.param + ": padding '" + mode +
                            "' is asymmetric; its kernel saliencies are refused");
            info.padding.clear();
            return;
        }
        info.padding[d] = total / 2;
    }
}

void fillConv(Node* node, LayerInfo& info, int groupsInput, const std::vector<int64_t>& kernel,
              std::vector<std::string>& notes) {
    auto list = [&](size_t i) { return constIntList(node->input(i)).value_or(std::vector<int64_t>{}); };
    info.stride = list(3);
    info.dilation = list(5);
    auto padding = torch::jit::toIValue(node->input(4));
    if (padding && padding->isString()) fillStringPadding(padding->toStringRef(), kernel, info, notes);
    else info.padding = list(4);
    info.groups = constInt(node->input(groupsInput)).value_or(1);
}

}  // namespace

Value* layerDataInput(Node* node) {
    return node->kind() == c10::aten::addmm ? node->input(1) : node->input(0);
}

std::vector<FoundLayer> findLayers(const std::shared_ptr<torch::jit::Graph>& graph,
                                   const std::map<std::string, torch::Tensor>& params,
                                   std::vector<std::string>& notes) {
    std::vector<FoundLayer> found;
    std::map<std::string, int> uses;
    for (Node* node : flattenNodes(graph->block())) {
        const auto kind = node->kind();
        FoundLayer layer{node, {}};
        LayerInfo& info = layer.info;
        std::optional<WeightRef> weight;
        Value* bias = nullptr;
        const bool convolution = kind == c10::aten::conv1d || kind == c10::aten::conv2d ||
                                 kind == c10::aten::_convolution || kind == c10::aten::_convolution_mode;
        if (convolution) {
            weight = weightOperand(node->input(1));
            if (!weight || weight->transposed) continue;
            const bool underscore = kind == c10::aten::_convolution;
            if (underscore) {
                auto transposedConv = torch::jit::toIValue(node->input(6));
                if (transposedConv && transposedConv->isBool() && transposedConv->toBool()) {
                    notes.push_back("transposed convolution " + weight->path + " is not analysed as a layer");
                    continue;
                }
            }
            bias = node->input(2);
            auto w = params.find(weight->path);
            if (w == params.end() || w->second.dim() < 3) continue;
            const auto kernel = w->second.sizes().slice(2).vec();
            fillConv(node, info, underscore ? 8 : 6, kernel, notes);
        } else if (kind == c10::aten::linear) {
            weight = weightOperand(node->input(1));
            if (!weight || weight->transposed) continue;
            bias = node->inputs().size() > 2 ? node->input(2) : nullptr;
        } else if (kind == c10::aten::addmm) {
            weight = weightOperand(node->input(2));
            if (!weight) continue;
            bias = node->input(0);
        } else if (kind == c10::aten::matmul || kind == c10::aten::mm) {
            weight = weightOperand(node->input(1));
            if (!weight) continue;
        } else {
            continue;
        }
        auto it = params.find(weight->path);
        if (it == params.end()) continue;  // a constant or buffer, not a trainable weight
        const auto& w = it->second;
        info.param = weight->path;
        info.weightShape = w.sizes().vec();
        // A scripted module without a bias still reads `self.bias` (None): only a parameter counts.
        if (bias && !isNone(bias) && params.count(attributePath(bias))) info.biasParam = attributePath(bias);
        if (convolution) {
            info.kind = w.dim() == 3 ? LayerKind::Conv1d : LayerKind::Conv2d;
            if (w.dim() != 3 && w.dim() != 4) continue;
            info.outChannels = w.size(0);
            info.inChannels = w.size(1) * info.groups;
        } else {
            if (w.dim() != 2) continue;
            // linear(x, W) and x @ W.t() store W as out x in; addmm/matmul with W store in x out.
            const bool storedOutByIn = kind == c10::aten::linear || weight->transposed;
            info.kind = storedOutByIn ? LayerKind::Linear : LayerKind::TransposedLinear;
            info.outChannels = storedOutByIn ? w.size(0) : w.size(1);
            info.inChannels = storedOutByIn ? w.size(1) : w.size(0);
        }
        info.inControlFlow = node->owningBlock() != graph->block();
        for (const auto& use : node->output()->uses())
            if (use.user->kind() == c10::aten::batch_norm && use.offset == 0) {
                const std::string gamma = attributePath(use.user->input(1)), beta = attributePath(use.user->input(2));
                if (params.count(gamma) && params.count(beta)) {
                    info.normWeightParam = gamma;
                    info.normBiasParam = beta;
                }
            }
        const int use = ++uses[info.param];
        info.name = layerNameOf(info.param) + (use > 1 ? "#" + std::to_string(use) : "");
        found.push_back(std::move(layer));
    }
    return found;
}

}  // namespace cx::engine
