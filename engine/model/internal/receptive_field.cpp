// Receptive fields: one walk over the inlined graph carrying, for every tensor, how its positions
// map onto the model input's pixels (Araujo et al.'s arithmetic: a k x k window of stride s,
// padding p and dilation d turns (jump, start, size) into (jump s, start - p jump,
// size + (k - 1) d jump)). Position-wise ops keep a tensor's field; ops of several tensors take
// the union; anything else that touches a tensor with a field is named and ends the analysis
// for what depends on it.
#include "engine/model/internal/receptive_field.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include <torch/csrc/jit/ir/constants.h>

#include "engine/model/internal/graph_constants.h"
#include "engine/model/internal/model_impl.h"

namespace cx::engine {
namespace {

using torch::jit::Node;
using torch::jit::Value;
using Kind = ReceptiveField::Kind;

// A value's field, or Constant: it does not depend on the input's pixels at all.
struct Field {
    bool constant = true;
    ReceptiveField rf;
    // Unknown only because positions were rearranged (a flatten or view): a linear layer or a
    // global reduction after it still sees every pixel that reached the tensor.
    bool reshaped = false;
    // Whole, from a global pooling: one value per channel (a squeeze-and-excitation gate).
    bool pooled = false;
};

Field unknown(const std::string& reason) {
    Field f;
    f.constant = false;
    f.rf.kind = Kind::Unknown;
    f.rf.reason = reason;
    return f;
}

Field whole() {
    Field f;
    f.constant = false;
    f.rf.kind = Kind::Whole;
    return f;
}

// The pixels that reach either: Unknown wins (its first reason is kept), then Whole.
Field unite(const Field& a, const Field& b) {
    if (a.constant) return b;
    if (b.constant) return a;
    if (a.rf.kind == Kind::Unknown) return a;
    if (b.rf.kind == Kind::Unknown) return b;
    if (a.rf.kind == Kind::Whole || b.rf.kind == Kind::Whole) return whole();
    Field out = a;
    out.rf.globalGain = a.rf.globalGain || b.rf.globalGain;
    for (int d = 0; d < 2; ++d) {
        if (a.rf.jump[d] != b.rf.jump[d]) return unknown("tensors of different strides are combined");
        const int64_t end = std::max(a.rf.start[d] + a.rf.size[d], b.rf.start[d] + b.rf.size[d]);
        out.rf.start[d] = std::min(a.rf.start[d], b.rf.start[d]);
        out.rf.size[d] = end - out.rf.start[d];
    }
    return out;
}



// A list given for two spatial dimensions: one number for both, or two.
bool pair(const std::optional<std::vector<int64_t>>& list, int64_t out[2]) {
    if (!list || list->empty() || list->size() > 2) return false;
    out[0] = (*list)[0];
    out[1] = list->size() == 2 ? (*list)[1] : (*list)[0];
    return true;
}

// A k x k window (convolution or pooling) over `in`.
Field window(const Field& in, const int64_t kernel[2], const int64_t stride[2], const int64_t padding[2],
             const int64_t dilation[2]) {
    if (in.constant || in.rf.kind != Kind::Exact) return in;
    Field out = in;
    for (int d = 0; d < 2; ++d) {
        out.rf.start[d] = in.rf.start[d] - padding[d] * in.rf.jump[d];
        out.rf.size[d] = in.rf.size[d] + (kernel[d] - 1) * dilation[d] * in.rf.jump[d];
        out.rf.jump[d] = in.rf.jump[d] * stride[d];
    }
    return out;
}

// Ops whose output at a position depends only on their inputs at that position.
const std::set<c10::Symbol>& positionWise() {
    using namespace c10;
    static const std::set<Symbol> ops = {
        aten::relu, aten::relu6, aten::hardtanh, aten::leaky_relu, aten::gelu, aten::silu, aten::sigmoid,
        aten::tanh, aten::hardswish, aten::hardsigmoid, aten::elu, aten::selu, aten::celu, aten::softplus,
        aten::mish, aten::prelu, aten::batch_norm, aten::dropout, aten::feature_dropout, aten::alpha_dropout,
        aten::contiguous, aten::clone, aten::detach, aten::to, aten::type_as, aten::neg, aten::abs, aten::exp,
        aten::log, aten::sqrt, aten::rsqrt, aten::pow, aten::clamp, aten::clamp_min, aten::clamp_max,
        aten::mul, aten::div, aten::add, aten::sub, aten::rsub, aten::maximum, aten::minimum, aten::where,
        aten::masked_fill, aten::square, aten::reciprocal, aten::sign, aten::floor, aten::ceil, aten::round,
        prim::ListConstruct, prim::TupleConstruct, prim::ListUnpack, prim::TupleUnpack, prim::TupleIndex,
        aten::__getitem__, prim::ConstantChunk, aten::append, aten::insert, aten::_set_item};
    return ops;
}

// What mixes all positions of `in` sees every pixel that reaches it: the whole image, unless the
// field was lost to something other than a rearrangement.
bool seesEverything(const Field& in) { return in.rf.kind != Kind::Unknown || in.reshaped; }

// relu_ -> relu: an in-place op the graph kept moves positions as its out-of-place form does.
c10::Symbol outOfPlace(c10::Symbol kind) {
    const std::string name = kind.toUnqualString();
    if (!kind.is_aten() || name.size() < 2 || name.back() != '_' || name[name.size() - 2] == '_') return kind;
    return c10::Symbol::aten(name.substr(0, name.size() - 1));
}

// Ops of a dimension argument that keep positions when the dimension is the batch or the channels.
bool alongChannels(Node* node, size_t dimInput) {
    if (node->inputs().size() <= dimInput) return false;
    auto dim = constInt(node->input(dimInput));
    return dim && (*dim == 0 || *dim == 1 || *dim == -3 || *dim == -4);
}

Field reductionAll(const Field& in) {
    if (!seesEverything(in)) return in;
    Field out = whole();
    out.pooled = true;
    return out;
}

// Ops that reduce over dimensions: over the spatial ones every pixel reaches the result.
Field reduction(Node* node, const Field& in) {
    auto dims = node->inputs().size() > 1 ? constIntList(node->input(1)) : std::nullopt;
    if (!dims) return node->inputs().size() == 1 || node->inputs().size() == 2 ? reductionAll(in) : unknown(node->kind().toQualString());
    bool spatial = false;
    for (int64_t d : *dims) spatial = spatial || d >= 2 || d <= -1;
    if (!spatial) return in;
    return reductionAll(in);
}

class Walker {
public:
    explicit Walker(const std::unordered_map<Node*, const LayerInfo*>& layers) : m_layers(layers) {}

    Field& of(Value* v) { return m_fields[v]; }  // a value never seen is a constant

    void walk(torch::jit::Block* block) {
        for (Node* node : block->nodes()) {
            if (node->kind() == c10::prim::If) branches(node);
            else if (node->kind() == c10::prim::Loop) loop(node);
            else visit(node);
        }
    }

    void visit(Node* node) {
        std::vector<Field> ins;
        bool allConstant = true;
        for (Value* v : node->inputs()) {
            ins.push_back(of(v));
            allConstant = allConstant && ins.back().constant;
        }
        if (allConstant) return;  // outputs stay constants
        const Field out = fieldOf(node, ins);
        for (Value* v : node->outputs()) m_fields[v] = out;
        // An op that writes its first operand (a list's append, an in-place op the graph kept)
        // changes what later readers of that value see.
        const auto* schema = node->maybeSchema();
        if (schema && schema->is_mutable() && !node->inputs().empty()) m_fields[node->input(0)] = out;
    }

private:
    // Either branch may run: an output's field is the branches' when they agree (a branch that
    // only raises gives constants), and Unknown when they differ.
    void branches(Node* node) {
        for (auto* block : node->blocks()) walk(block);
        for (size_t i = 0; i < node->outputs().size(); ++i) {
            Field out;
            bool first = true, differ = false;
            for (auto* block : node->blocks()) {
                const Field f = of(block->outputs()[i]);
                if (f.constant) continue;
                if (!first && !sameField(out, f)) differ = true;
                out = f, first = false;
            }
            m_fields[node->output(i)] = differ ? unknown("branches that reach different pixels (prim::If)") : out;
        }
    }

    // A loop the graph kept (one over a module list is unrolled before): not followed.
    void loop(Node* node) {
        for (auto* block : node->blocks()) walk(block);
        for (Value* v : node->outputs()) m_fields[v] = unknown("a loop (prim::Loop)");
    }

    static bool sameField(const Field& a, const Field& b) {
        if (a.rf.kind != b.rf.kind) return false;
        if (a.rf.kind != Kind::Exact) return a.rf.reason == b.rf.reason;
        for (int d = 0; d < 2; ++d)
            if (a.rf.jump[d] != b.rf.jump[d] || a.rf.start[d] != b.rf.start[d] || a.rf.size[d] != b.rf.size[d]) return false;
        return true;
    }

    Field united(const std::vector<Field>& ins) {
        Field out;
        for (const auto& f : ins) out = unite(out, f);
        return out;
    }

    Field fieldOf(Node* node, const std::vector<Field>& ins) {
        using namespace c10;
        const auto kind = node->kind();
        const std::string name = kind.toQualString();
        if (auto it = m_layers.find(node); it != m_layers.end()) return layerField(*it->second, united(ins));
        if (kind == aten::conv2d || kind == aten::_convolution || kind == aten::conv1d)
            return unknown("a convolution the analysis does not know (" + name + ")");
        if (kind == aten::max_pool2d || kind == aten::max_pool2d_with_indices || kind == aten::avg_pool2d)
            return pooling(node, ins[0]);
        if (kind == aten::adaptive_avg_pool2d || kind == aten::adaptive_max_pool2d) {
            auto size = constIntList(node->input(1));
            const bool one = size && std::all_of(size->begin(), size->end(), [](int64_t s) { return s == 1; });
            if (one) return reductionAll(ins[0]);
            return unknown("adaptive pooling to more than one cell (" + name + "): its windows depend on the input size");
        }
        if (kind == aten::constant_pad_nd) return padding(node, ins[0]);
        if (kind == aten::cat || kind == aten::stack) {
            if (!alongChannels(node, 1)) return unknown("tensors joined along a spatial dimension (" + name + ")");
            return united(ins);
        }
        if (kind == aten::chunk || kind == aten::split || kind == aten::split_with_sizes || kind == aten::unbind)
            return alongChannels(node, kind == aten::unbind ? 1 : 2) ? ins[0]
                                                                    : unknown("a split along a spatial dimension (" + name + ")");
        if (kind == aten::slice || kind == aten::narrow || kind == aten::select || kind == aten::index_select)
            return alongChannels(node, 1) ? ins[0] : unknown("a slice along a spatial dimension (" + name + ")");
        if (kind == aten::softmax || kind == aten::log_softmax)
            return alongChannels(node, 1) ? ins[0] : reductionAll(ins[0]);
        if (kind == aten::mean || kind == aten::sum || kind == aten::amax || kind == aten::amin)
            return reduction(node, ins[0]);
        if (kind == aten::size || kind == aten::dim || kind == aten::len ||
            kind == prim::device || kind == prim::dtype)
            return Field{};  // shapes and types do not depend on pixel values
        if (kind == aten::linear || kind == aten::matmul || kind == aten::addmm || kind == aten::mm)
            return unknown("positions mixed by " + name);
        if (kind == aten::flatten || kind == aten::view || kind == aten::reshape || kind == aten::permute ||
            kind == aten::transpose || kind == aten::unsqueeze || kind == aten::squeeze) {
            Field out = united(ins);
            if (out.rf.kind == Kind::Unknown && !out.reshaped) return out;
            out = unknown("positions rearranged by " + name);
            out.reshaped = true;
            return out;
        }
        if ((kind == aten::mul || outOfPlace(kind) == aten::mul) && ins.size() == 2) {
            // A map scaled by a per-channel gate computed from the whole image keeps its local
            // field, marked: every pixel also reaches it through the gate.
            for (int k = 0; k < 2; ++k)
                if (ins[k].pooled && !ins[1 - k].constant && ins[1 - k].rf.kind == Kind::Exact) {
                    Field out = ins[1 - k];
                    out.rf.globalGain = true;
                    return out;
                }
        }
        if (positionWise().count(kind) || positionWise().count(outOfPlace(kind))) {
            Field out = united(ins);
            out.pooled = std::all_of(ins.begin(), ins.end(), [](const Field& f) { return f.constant || f.pooled; });
            return out;
        }
        return unknown("positions moved or mixed by " + name);
    }

    // A layer found by findLayers: convolutions move the field, linear layers see everything
    // that reaches them (their field is the whole image when every pixel does).
    Field layerField(const LayerInfo& layer, const Field& in) {
        if (layer.kind == LayerKind::Conv2d) {
            int64_t kernel[2], stride[2], pad[2], dilation[2];
            const std::vector<int64_t> k(layer.weightShape.begin() + 2, layer.weightShape.end());
            if (!pair(k, kernel) || !pair(layer.stride, stride) || !pair(layer.padding, pad) || !pair(layer.dilation, dilation))
                return unknown("layer " + layer.name + " has a padding or stride the analysis cannot state");
            Field out = window(in, kernel, stride, pad, dilation);
            out.pooled = in.pooled && kernel[0] == 1 && kernel[1] == 1 && pad[0] == 0 && pad[1] == 0;  // still 1 x 1
            return out;
        }
        if (layer.kind == LayerKind::Conv1d) return unknown("a 1-d convolution (" + layer.name + ")");
        return seesEverything(in) ? whole() : in;
    }

    Field pooling(Node* node, const Field& in) {
        using namespace c10;
        const bool average = node->kind() == aten::avg_pool2d;
        int64_t kernel[2], stride[2], pad[2], dilation[2] = {1, 1};
        if (!pair(constIntList(node->input(1)), kernel)) return unknown("a pooling window that is not constant");
        auto strideList = constIntList(node->input(2));
        if (strideList && strideList->empty()) strideList = std::vector<int64_t>{kernel[0], kernel[1]};
        if (!pair(strideList, stride) || !pair(constIntList(node->input(3)), pad))
            return unknown("a pooling stride or padding that is not constant");
        if (!average && !pair(constIntList(node->input(4)), dilation)) return unknown("a pooling dilation that is not constant");
        return window(in, kernel, stride, pad, dilation);
    }

    // constant_pad_nd's list pads the last dimension first: (left, right, top, bottom, ...).
    Field padding(Node* node, const Field& in) {
        auto pads = constIntList(node->input(1));
        if (!pads || pads->size() % 2 != 0) return unknown("a padding that is not constant");
        for (size_t i = 4; i < pads->size(); ++i)
            if ((*pads)[i] != 0) return unknown("a padding of the channels");
        if (in.rf.kind != Kind::Exact) return in;
        Field out = in;
        if (pads->size() >= 2) out.rf.start[1] -= (*pads)[0] * in.rf.jump[1];
        if (pads->size() >= 4) out.rf.start[0] -= (*pads)[2] * in.rf.jump[0];
        return out;
    }

    const std::unordered_map<Node*, const LayerInfo*>& m_layers;
    std::unordered_map<Value*, Field> m_fields;
};

}  // namespace

void analyseReceptiveFields(const std::shared_ptr<torch::jit::Graph>& graph, std::vector<FoundLayer>& layers) {
    std::unordered_map<Node*, const LayerInfo*> byNode;
    for (const auto& l : layers) byNode[l.node] = &l.info;
    Walker walker(byNode);
    const auto inputs = graph->inputs();
    for (size_t i = 1; i < inputs.size(); ++i) {  // input 0 is the module itself
        Field f;
        f.constant = false;
        f.rf.kind = i == 1 ? Kind::Exact : Kind::Unknown;
        if (i > 1) f.rf.reason = "the model has more than one input";
        walker.of(inputs[i]) = f;
    }
    walker.walk(graph->block());
    for (auto& l : layers) {
        const Field& f = walker.of(l.node->output());
        l.info.field = f.constant ? unknown("does not depend on the input").rf : f.rf;
    }
}

}  // namespace cx::engine
