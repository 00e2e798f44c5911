#include "engine/internal/channel_flow.h"

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <torch/csrc/jit/ir/constants.h>

namespace cx::engine {
namespace {

using torch::jit::Block;
using torch::jit::Node;
using torch::jit::Value;

// Where the channels of one tensor value come from. Offsets and counts are in channel units of
// the value before any flatten; `scale` is the number of features each such channel became
// after a flatten (0: not yet known, resolved by the consuming layer's input size).
struct Flow {
    int channelDim = 1;        // >= 0 from the front, -1 = last dimension
    int rank = -1;             // -1 unknown
    int64_t channels = -1;     // -1 unknown
    int64_t scale = 1;
    std::vector<InputSegment> segs;
};

bool sameSegment(const InputSegment& a, const InputSegment& b) {
    return a.source == b.source && a.channelOffset == b.channelOffset && a.channels == b.channels &&
           a.sourceOffset == b.sourceOffset && a.sourceChannels == b.sourceChannels && a.mode == b.mode;
}

// Union of segment lists (a residual add or an if/else merge reads both sides once).
void appendUnique(std::vector<InputSegment>& to, const std::vector<InputSegment>& from) {
    for (const auto& s : from)
        if (std::none_of(to.begin(), to.end(), [&](const InputSegment& t) { return sameSegment(s, t); }))
            to.push_back(s);
}

bool hasTensorOutput(const Node* node) {
    for (const Value* out : node->outputs())
        if (out->type()->kind() == c10::TypeKind::TensorType) return true;
    return false;
}

int normaliseDim(int64_t dim, int rank) {
    if (dim >= 0) return static_cast<int>(dim);
    return rank > 0 ? static_cast<int>(dim + rank) : static_cast<int>(dim);
}

bool sameDim(int64_t dim, const Flow& flow) {
    if (flow.channelDim == -1) return dim == -1 || (flow.rank > 0 && dim == flow.rank - 1);
    return normaliseDim(dim, flow.rank) == flow.channelDim;
}

std::optional<int64_t> constInt(Value* v) {
    auto iv = torch::jit::toIValue(v);
    if (iv && iv->isInt()) return iv->toInt();
    return std::nullopt;
}

// An int list given as a constant or as a list of constants (traced models build them).
std::optional<std::vector<int64_t>> constIntList(Value* v) {
    if (auto iv = torch::jit::toIValue(v)) {
        if (iv->isIntList()) return iv->toIntVector();
        return std::nullopt;
    }
    if (v->node()->kind() != c10::prim::ListConstruct) return std::nullopt;
    std::vector<int64_t> out;
    for (Value* item : v->node()->inputs()) {
        auto i = constInt(item);
        if (!i) return std::nullopt;
        out.push_back(*i);
    }
    return out;
}

const std::unordered_set<std::string>& passThroughOps() {
    static const std::unordered_set<std::string> ops = {
        "aten::relu", "aten::relu6", "aten::gelu", "aten::silu", "aten::sigmoid", "aten::tanh", "aten::elu",
        "aten::leaky_relu", "aten::hardtanh", "aten::hardswish", "aten::hardsigmoid", "aten::mish",
        "aten::softplus", "aten::selu", "aten::celu", "aten::prelu", "aten::dropout", "aten::feature_dropout",
        "aten::alpha_dropout", "aten::batch_norm", "aten::instance_norm", "aten::max_pool1d",
        "aten::max_pool2d", "aten::avg_pool1d", "aten::avg_pool2d", "aten::adaptive_avg_pool1d",
        "aten::adaptive_avg_pool2d", "aten::adaptive_max_pool2d", "aten::contiguous", "aten::clone",
        "aten::detach", "aten::to", "aten::type_as", "aten::neg", "aten::abs", "aten::exp", "aten::sqrt",
        "aten::square", "aten::pow", "aten::constant_pad_nd", "aten::pad", "aten::upsample_nearest2d",
        "aten::upsample_bilinear2d", "aten::clamp", "aten::clamp_min", "aten::clamp_max", "aten::relu_",
        "aten::dropout_", "aten::hardtanh_", "aten::float", "aten::half"};
    return ops;
}

const std::unordered_set<std::string>& elementwiseOps() {
    static const std::unordered_set<std::string> ops = {"aten::add", "aten::sub", "aten::mul", "aten::div",
        "aten::maximum", "aten::minimum", "aten::where", "aten::add_", "aten::mul_", "aten::sub_",
        "aten::div_", "aten::rsub"};
    return ops;
}

class FlowAnalysis {
public:
    FlowAnalysis(std::vector<FoundLayer>& layers, std::vector<std::string>& notes)
        : m_layers(layers), m_notes(notes) {
        for (size_t i = 0; i < layers.size(); ++i) m_layerOf[layers[i].node] = static_cast<int>(i);
    }

    void run(const std::shared_ptr<torch::jit::Graph>& graph) {
        // Input 0 is the module itself; every other tensor input is model input.
        for (size_t i = 1; i < graph->inputs().size(); ++i) {
            Flow in;
            in.segs.push_back({kModelInput, 0, -1, 0, -1, FlowMode::Identity});
            m_flows[graph->inputs()[i]] = in;
        }
        walk(graph->block());
        markReachable(graph);
        for (const auto& op : m_denseOps)
            m_notes.push_back("op " + op + " treated as mixing all channels");
    }

private:
    std::vector<FoundLayer>& m_layers;
    std::vector<std::string>& m_notes;
    std::unordered_map<const Node*, int> m_layerOf;
    std::unordered_map<const Value*, Flow> m_flows;
    std::unordered_map<const Value*, std::vector<const Value*>> m_tuples;
    std::set<std::string> m_denseOps;

    const Flow* flowOf(const Value* v) const {
        auto it = m_flows.find(v);
        return it == m_flows.end() ? nullptr : &it->second;
    }

    void walk(Block* block) {
        for (Node* node : block->nodes()) {
            for (Block* sub : node->blocks()) walk(sub);
            visit(node);
        }
    }

    // Every channel of the result reads every channel of every flowing input.
    Flow dense(Node* node, bool noteIt = true) {
        std::set<std::pair<int, int64_t>> seen;
        Flow out;
        out.channelDim = -1;
        auto addFrom = [&](const Flow& f) {
            for (const auto& s : f.segs)
                if (seen.insert({s.source, 0}).second)
                    out.segs.push_back({s.source, 0, -1, 0, -1, FlowMode::Dense});
        };
        for (Value* in : node->inputs()) {
            if (const Flow* f = flowOf(in)) addFrom(*f);
            if (in->node()->kind() == c10::prim::ListConstruct)
                for (Value* item : in->node()->inputs())
                    if (const Flow* f = flowOf(item)) addFrom(*f);
            auto tuple = m_tuples.find(in);
            if (tuple != m_tuples.end())
                for (const Value* item : tuple->second)
                    if (const Flow* f = flowOf(item)) addFrom(*f);
        }
        if (noteIt && !out.segs.empty()) m_denseOps.insert(node->kind().toQualString());
        return out;
    }

    void setAll(Node* node, const Flow& flow) {
        for (Value* out : node->outputs())
            if (out->type()->kind() == c10::TypeKind::TensorType) m_flows[out] = flow;
    }

    bool anyFlowingInput(Node* node) const {
        for (Value* in : node->inputs()) {
            if (flowOf(in) || m_tuples.count(in)) return true;
            if (in->node()->kind() == c10::prim::ListConstruct)
                for (Value* item : in->node()->inputs())
                    if (flowOf(item)) return true;
        }
        return false;
    }

    void visit(Node* node) {
        auto layer = m_layerOf.find(node);
        if (layer != m_layerOf.end()) return visitLayer(node, layer->second);
        const auto kind = node->kind();
        if (kind == c10::prim::TupleConstruct) {
            m_tuples[node->output()] = {node->inputs().begin(), node->inputs().end()};
            return;
        }
        if (kind == c10::prim::TupleUnpack) {
            auto it = m_tuples.find(node->input(0));
            if (it == m_tuples.end()) return;
            for (size_t i = 0; i < node->outputs().size() && i < it->second.size(); ++i)
                if (const Flow* f = flowOf(it->second[i])) m_flows[node->output(i)] = *f;
            return;
        }
        if (kind == c10::prim::If) return visitIf(node);
        if (!anyFlowingInput(node) || !hasTensorOutput(node)) return;
        const std::string name = kind.toQualString();
        const Flow* first = flowOf(node->input(0));
        if (first && passThroughOps().count(name)) return setAll(node, *first);
        if (elementwiseOps().count(name)) return setAll(node, elementwise(node));
        if (kind == c10::aten::cat) return setAll(node, concat(node));
        if (first && kind == c10::aten::flatten) return setAll(node, flatten(node, *first));
        if (first && (kind == c10::aten::view || kind == c10::aten::reshape)) return setAll(node, reshape(node, *first));
        if (first && (kind == c10::aten::mean || kind == c10::aten::sum || kind == c10::aten::amax))
            return setAll(node, reduce(node, *first));
        if (kind == c10::prim::ListConstruct || kind == c10::prim::ListUnpack) return;
        setAll(node, dense(node));
    }

    Flow elementwise(Node* node) {
        Flow out;
        bool started = false;
        for (Value* in : node->inputs()) {
            const Flow* f = flowOf(in);
            if (!f) continue;
            if (!started) {
                out = *f;
                started = true;
                continue;
            }
            if (f->channelDim != out.channelDim || f->channels != out.channels || f->scale != out.scale)
                return dense(node);
            appendUnique(out.segs, f->segs);
        }
        return out;
    }

    Flow concat(Node* node) {
        Node* list = node->input(0)->node();
        auto dim = constInt(node->input(1));
        if (list->kind() != c10::prim::ListConstruct || !dim) return dense(node);
        Flow out;
        int64_t offset = 0;
        bool started = false;
        for (Value* item : list->inputs()) {
            const Flow* f = flowOf(item);
            if (!f || f->scale != 1 || !sameDim(*dim, *f)) return dense(node);
            if (!started) {
                out.channelDim = f->channelDim;
                out.rank = f->rank;
                started = true;
            }
            for (InputSegment s : f->segs) {
                if (s.channels < 0 && s.mode != FlowMode::Dense) return dense(node);
                s.channelOffset += offset;
                if (s.mode == FlowMode::Dense) s.channels = f->channels;
                out.segs.push_back(s);
            }
            if (f->channels < 0) return dense(node);
            offset += f->channels;
        }
        out.channels = offset;
        return out;
    }

    Flow flatten(Node* node, const Flow& in) {
        auto start = constInt(node->input(1));
        auto end = constInt(node->input(2));
        if (!start || !end) return dense(node);
        if (in.channelDim == 1 && *start == 1 && (*end == -1 || (in.rank > 0 && *end == in.rank - 1))) {
            Flow out = in;
            out.rank = 2;
            out.scale = 0;
            return out;
        }
        if (in.channelDim >= 0 && *start > in.channelDim) {
            Flow out = in;
            if (in.rank > 0) out.rank = in.rank - static_cast<int>(normaliseDim(*end, in.rank) - *start);
            return out;
        }
        return dense(node);
    }

    Flow reshape(Node* node, const Flow& in) {
        Node* shape = node->input(1)->node();
        size_t newRank = 0;
        if (shape->kind() == c10::prim::ListConstruct) newRank = shape->inputs().size();
        else if (auto list = constIntList(node->input(1))) newRank = list->size();
        if (newRank == 2 && in.channelDim == 1 && (in.rank == 3 || in.rank == 4)) {
            Flow out = in;
            out.rank = 2;
            out.scale = 0;
            return out;
        }
        return dense(node);
    }

    Flow reduce(Node* node, const Flow& in) {
        if (node->inputs().size() < 3) return dense(node);
        auto dims = constIntList(node->input(1));
        auto keep = torch::jit::toIValue(node->input(2));
        if (!dims || !keep || !keep->isBool() || in.channelDim < 0) return dense(node);
        const auto& list = *dims;
        for (int64_t d : list)
            if (normaliseDim(d, in.rank) == in.channelDim) return dense(node);
        Flow out = in;
        for (int64_t d : list)
            if (!keep->toBool() && normaliseDim(d, in.rank) < in.channelDim) --out.channelDim;
        if (in.rank > 0 && !keep->toBool()) out.rank = in.rank - static_cast<int>(list.size());
        return out;
    }

    void visitIf(Node* node) {
        for (size_t i = 0; i < node->outputs().size(); ++i) {
            Flow merged;
            bool started = false;
            for (Block* b : node->blocks()) {
                const Flow* f = flowOf(b->outputs()[i]);
                if (!f) continue;
                if (!started) {
                    merged = *f;
                    started = true;
                } else {
                    appendUnique(merged.segs, f->segs);
                }
            }
            if (started) m_flows[node->output(i)] = merged;
        }
    }

    void visitLayer(Node* node, int index) {
        LayerInfo& info = m_layers[static_cast<size_t>(index)].info;
        if (const Flow* in = flowOf(layerDataInput(node))) info.inputs = resolveInputs(*in, info);
        Flow out;
        out.channels = info.outChannels;
        if (info.isConv()) {
            out.channelDim = 1;
            out.rank = info.kind == LayerKind::Conv2d ? 4 : 3;
        } else {
            out.channelDim = -1;
            const Flow* in = flowOf(layerDataInput(node));
            out.rank = in ? in->rank : -1;
        }
        out.segs.push_back({index, 0, info.outChannels, 0, info.outChannels, FlowMode::Identity});
        m_flows[node->output()] = out;
    }

    // Converts a flow into the layer's input segments, in the layer's input-channel units.
    std::vector<InputSegment> resolveInputs(const Flow& in, const LayerInfo& info) {
        int64_t factor = 1;
        if (in.scale != 1) {
            if (in.channels > 0 && info.inChannels % in.channels == 0) factor = info.inChannels / in.channels;
            else factor = -1;
        }
        std::vector<InputSegment> out;
        for (InputSegment s : in.segs) {
            const int64_t sourceOut = s.source >= 0 ? m_layers[static_cast<size_t>(s.source)].info.outChannels : -1;
            if (s.mode == FlowMode::Dense || factor < 0) {
                out.push_back({s.source, 0, info.inChannels, 0, sourceOut, FlowMode::Dense});
                continue;
            }
            if (s.channels < 0) {  // the model input, first seen here: its width is this layer's
                s.channels = info.inChannels / std::max<int64_t>(factor, 1);
                s.sourceChannels = s.channels;
            }
            if (factor > 1) {
                s.mode = FlowMode::Expand;
                s.channelOffset *= factor;
                s.channels *= factor;
            }
            out.push_back(s);
        }
        return out;
    }

    void markReachable(const std::shared_ptr<torch::jit::Graph>& graph) {
        std::unordered_set<const Node*> live;
        std::vector<const Value*> stack(graph->outputs().begin(), graph->outputs().end());
        std::unordered_set<const Value*> seen;
        while (!stack.empty()) {
            const Value* v = stack.back();
            stack.pop_back();
            if (!seen.insert(v).second) continue;
            const Node* node = v->node();
            live.insert(node);
            for (const Value* in : node->inputs()) stack.push_back(in);
            if (node->kind() == c10::prim::If) {
                size_t index = 0;
                while (index < node->outputs().size() && node->outputs()[index] != v) ++index;
                for (const Block* b : node->blocks())
                    if (index < b->outputs().size()) stack.push_back(b->outputs()[index]);
            } else {
                for (const Block* b : node->blocks())
                    for (const Value* o : b->outputs()) stack.push_back(o);
            }
        }
        for (auto& layer : m_layers) layer.info.reachable = live.count(layer.node) > 0;
    }
};

}  // namespace

void analyseChannelFlow(const std::shared_ptr<torch::jit::Graph>& graph, std::vector<FoundLayer>& layers,
                        std::vector<std::string>& notes) {
    FlowAnalysis(layers, notes).run(graph);
}

}  // namespace cx::engine
