// Channel-level data flow over the inlined, specialised forward graph. Longer than the house
// aim: it is one walker over the graph with one small handler per op family (views, splits,
// lists, control flow), and splitting them apart would scatter the shared flow state.
#include "engine/model/internal/channel_flow.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <torch/csrc/jit/ir/constants.h>

#include "engine/model/internal/flow.h"
#include "engine/model/internal/graph_constants.h"
#include "engine/model/internal/heads.h"

namespace cx::engine {
namespace {

using torch::jit::Block;
using torch::jit::Node;
using torch::jit::Value;

// The items of a list (or tuple) value: each known, or one flow for every item.
struct ListFlow {
    std::vector<Flow> items;
    std::optional<Flow> every;
};

bool isTensor(const Value* v) { return v->type()->kind() == c10::TypeKind::TensorType; }

bool isTensorList(const Value* v) {
    auto list = v->type()->cast<c10::ListType>();
    return list && list->getElementType()->kind() == c10::TypeKind::TensorType;
}

bool hasTensorOutput(const Node* node) {
    for (const Value* out : node->outputs())
        if (isTensor(out) || isTensorList(out)) return true;
    return false;
}



// Position of the channel dimension when it can be told (the rank is known or it is counted
// from the front).
std::optional<int> channelPos(const Flow& f) {
    if (f.channelDim >= 0) return f.channelDim;
    if (f.rank > 0) return f.rank - 1;
    return std::nullopt;
}

std::optional<int> normalisedDim(int64_t dim, int rank) {
    if (dim >= 0) return static_cast<int>(dim);
    if (rank > 0 && dim + rank >= 0) return static_cast<int>(dim + rank);
    return std::nullopt;
}

// Whether `dim` is the (unsplit) channel dimension; nullopt when it cannot be told.
std::optional<bool> isChannelDim(int64_t dim, const Flow& f) {
    if (f.channelDim == -1 && dim == -1) return true;
    auto pos = channelPos(f);
    auto d = normalisedDim(dim, f.rank);
    if (!pos || !d) return std::nullopt;
    return *pos == *d;
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
        "aten::dropout_", "aten::hardtanh_", "aten::float", "aten::half", "aten::stochastic_depth",
        "aten::hardswish_", "aten::silu_", "aten::sigmoid_"};
    return ops;
}

// Ops whose result depends on the input's shape, dtype or device only, never on its values
// (Swin's attention mask is x.new_zeros(...)): no channel flows through them.
const std::unordered_set<std::string>& shapeOnlyOps() {
    static const std::unordered_set<std::string> ops = {"aten::new_zeros", "aten::new_ones", "aten::new_full",
        "aten::new_empty", "aten::zeros_like", "aten::ones_like", "aten::empty_like", "aten::full_like",
        "aten::rand_like", "aten::randn_like", "aten::size", "aten::dim", "aten::numel"};
    return ops;
}

const std::unordered_set<std::string>& elementwiseOps() {
    static const std::unordered_set<std::string> ops = {"aten::add", "aten::sub", "aten::mul", "aten::div",
        "aten::maximum", "aten::minimum", "aten::where", "aten::add_", "aten::mul_", "aten::sub_",
        "aten::div_", "aten::rsub"};
    return ops;
}

bool sameShape(const Flow& a, const Flow& b) {
    return a.channelDim == b.channelDim && a.channels == b.channels && a.scale == b.scale &&
           a.outerSize == b.outerSize && a.innerDim == b.innerDim && a.freeLayout == b.freeLayout;
}

Flow unionOf(const std::vector<const Flow*>& flows) {
    if (flows.empty()) return Flow{};
    Flow out = *flows.front();
    for (size_t i = 1; i < flows.size(); ++i) {
        if (flows[i]->batchDim != out.batchDim) out.batchDim = kExamplesUnknown;
        if (!sameShape(out, *flows[i])) {  // branches that disagree on the layout: all reads all
            out.outerSize = 0;
            out.innerDim = -1;
            for (auto& s : out.segs) s = {s.source, 0, -1, 0, -1, FlowMode::Dense};
            std::vector<InputSegment> rest;
            for (const auto& s : flows[i]->segs) rest.push_back({s.source, 0, -1, 0, -1, FlowMode::Dense});
            appendUnique(out.segs, rest);
            out.channels = -1;
            continue;
        }
        appendUnique(out.segs, flows[i]->segs);
    }
    return out;
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
            in.freeLayout = true;
            setFlow(graph->inputs()[i], in);
        }
        walk(graph->block());
        markReachable(graph);
        markViewedHeads();
        for (const auto& op : m_denseOps) m_notes.push_back("op " + op + " treated as mixing all channels");
        if (!m_unknownExamples.empty()) {
            std::string names;
            for (const auto& n : m_unknownExamples) names += (names.empty() ? "" : ", ") + n;
            m_notes.push_back("where the examples lie in the input of " + names +
                              " could not be followed: saliency through them is refused (tracing the model fixes the layout)");
        }
    }

private:
    std::vector<FoundLayer>& m_layers;
    std::vector<std::string>& m_notes;
    std::unordered_map<const Node*, int> m_layerOf;
    std::unordered_map<const Value*, Flow> m_flows;
    std::unordered_map<const Value*, ListFlow> m_lists;  // lists and tuples
    std::set<std::string> m_denseOps;
    std::vector<std::string> m_unknownExamples;  // linear layers whose example dimension is not known
    std::map<int, std::set<int64_t>> m_headsSeen;  // layer -> head counts its features were viewed in

    const Flow* flowOf(const Value* v) const {
        auto it = m_flows.find(v);
        return it == m_flows.end() ? nullptr : &it->second;
    }

    const ListFlow* listOf(const Value* v) const {
        auto it = m_lists.find(v);
        return it == m_lists.end() ? nullptr : &it->second;
    }

    // A traced graph records each value's rank; a scripted one leaves it to the analysis.
    void setFlow(const Value* v, Flow f) {
        if (auto t = v->type()->cast<c10::TensorType>())
            if (auto dim = t->dim()) f.rank = static_cast<int>(*dim);
        m_flows[v] = std::move(f);
    }

    void walk(Block* block) {
        for (Node* node : block->nodes()) visit(node);
    }

    // Every flow that reaches a node's inputs, through lists and tuples too.
    std::vector<const Flow*> incoming(Node* node) const {
        std::vector<const Flow*> out;
        for (Value* in : node->inputs()) {
            if (const Flow* f = flowOf(in)) out.push_back(f);
            if (const ListFlow* l = listOf(in)) {
                for (const auto& item : l->items) out.push_back(&item);
                if (l->every) out.push_back(&*l->every);
            }
        }
        return out;
    }

    // Every channel of the result reads every channel of every flowing input.
    Flow dense(Node* node, bool noteIt = true) {
        std::set<int> seen;
        Flow out;
        out.channelDim = -1;
        const auto in = incoming(node);
        // Most mixing ops (norms, softmax, matmul) keep the leading example dimension; a view
        // that mixed them is marked unknown by its caller.
        out.batchDim = in.empty() ? 0 : in.front()->batchDim;
        for (const Flow* f : in)
            for (const auto& s : f->segs)
                if (seen.insert(s.source).second) out.segs.push_back({s.source, 0, -1, 0, -1, FlowMode::Dense});
        if (noteIt && !out.segs.empty()) m_denseOps.insert(node->kind().toQualString());
        return out;
    }

    void setAll(Node* node, const Flow& flow) {
        for (Value* out : node->outputs()) {
            if (isTensor(out)) setFlow(out, flow);
            else if (isTensorList(out)) m_lists[out] = ListFlow{{}, flow};
        }
    }

    void visit(Node* node) {
        auto layer = m_layerOf.find(node);
        if (layer != m_layerOf.end()) return visitLayer(node, layer->second);
        const auto kind = node->kind();
        if (kind == c10::prim::If) return visitIf(node);
        if (kind == c10::prim::Loop) return visitLoop(node);
        if (kind == c10::prim::TupleConstruct || kind == c10::prim::ListConstruct) return collect(node);
        if (kind == c10::prim::TupleUnpack || kind == c10::prim::ListUnpack) return unpack(node);
        if (kind == c10::prim::TupleIndex || kind == c10::aten::__getitem__) return index(node);
        if (kind == c10::aten::append) return append(node);
        if (incoming(node).empty() || !hasTensorOutput(node)) {
            for (Block* sub : node->blocks()) walk(sub);
            return;
        }
        const std::string name = kind.toQualString();
        if (shapeOnlyOps().count(name)) return;
        const Flow* first = flowOf(node->input(0));
        if (first && passThroughOps().count(name)) return setAll(node, *first);
        if (elementwiseOps().count(name)) return setAll(node, elementwise(node));
        if (kind == c10::aten::cat) return setAll(node, concat(node));
        if (first) {
            if (auto done = visitView(node, *first)) return setAll(node, *done);
            if (visitSplit(node, *first)) return;
        }
        for (Block* sub : node->blocks()) walk(sub);
        setAll(node, dense(node));
    }

    // View-like ops: the result's channels are an exact function of the input's, or nullopt.
    std::optional<Flow> visitView(Node* node, const Flow& in) {
        const auto kind = node->kind();
        if (in.freeLayout && (kind == c10::aten::view || kind == c10::aten::reshape || kind == c10::aten::flatten ||
                              kind == c10::aten::transpose || kind == c10::aten::t || kind == c10::aten::permute ||
                              kind == c10::aten::unsqueeze))
            return freeLayoutView(node, in);
        std::optional<Flow> out;
        if (kind == c10::aten::flatten) out = flatten(node, in);
        else if (kind == c10::aten::view || kind == c10::aten::reshape) out = reshape(node, in);
        else if (kind == c10::aten::mean || kind == c10::aten::sum || kind == c10::aten::amax) out = reduce(node, in);
        else if (kind == c10::aten::transpose) out = transpose(node, in);
        else if (kind == c10::aten::t) out = transposeDims(in, 0, 1);
        else if (kind == c10::aten::permute) out = permute(node, in);
        else if (kind == c10::aten::narrow || kind == c10::aten::slice) out = slice(node, in);
        else if (kind == c10::aten::select) out = dropDim(node, in);
        else if (kind == c10::aten::unsqueeze) out = unsqueeze(node, in);
        else if (kind == c10::aten::squeeze && node->inputs().size() == 2) out = dropDim(node, in);
        else if (kind == c10::aten::channel_shuffle || kind == c10::aten::native_channel_shuffle) out = shuffle(node, in);
        else return std::nullopt;
        if (out) return out;
        Flow mixed = dense(node);
        if (kind == c10::aten::transpose || kind == c10::aten::permute || kind == c10::aten::t ||
            kind == c10::aten::unsqueeze) {
            Flow moved = in;
            moved.freeLayout = true;  // only where the examples go
            mixed.batchDim = freeLayoutView(node, moved).batchDim;
        }
        // Mixed, but of a known rank: what follows can still tell its dimensions apart.
        if (kind == c10::aten::view || kind == c10::aten::reshape) {
            // A view keeps leading examples leading (rows example by example); elsewhere lost.
            mixed.batchDim = in.batchDim == 0 ? 0 : kExamplesUnknown;
            if (auto shape = shapeOf(node->input(1)); shape && !shape->headUnknown)
                mixed.rank = static_cast<int>(shape->dims.size());
        }
        return mixed;
    }

    // The model's input keeps its free layout through views; only where its examples go is
    // followed (a seq-first transpose of a batch-first input).
    Flow freeLayoutView(Node* node, const Flow& in) {
        Flow out = in;
        const auto kind = node->kind();
        auto dimArg = [&](size_t i) { return constInt(node->input(i)); };
        if (kind == c10::aten::transpose) {
            auto a = dimArg(1), b = dimArg(2);
            if (!a || !b || *a < 0 || *b < 0) out.batchDim = in.batchDim == 0 && a && b && *a != 0 && *b != 0 ? 0 : kExamplesUnknown;
            else if (*a == in.batchDim) out.batchDim = static_cast<int>(*b);
            else if (*b == in.batchDim) out.batchDim = static_cast<int>(*a);
        } else if (kind == c10::aten::permute) {
            auto dims = constIntList(node->input(1));
            out.batchDim = kExamplesUnknown;
            if (dims)
                for (size_t j = 0; j < dims->size(); ++j)
                    if ((*dims)[j] == in.batchDim) out.batchDim = static_cast<int>(j);
        } else if (kind == c10::aten::unsqueeze) {
            auto d = dimArg(1);
            if (!d || *d < 0) out.batchDim = kExamplesUnknown;
            else if (*d <= in.batchDim) ++out.batchDim;
        } else if (kind == c10::aten::t) {
            out.batchDim = in.batchDim == 0 ? 1 : in.batchDim == 1 ? 0 : kExamplesUnknown;
        } else if (in.batchDim != 0) {  // a view or flatten keeps only leading examples
            out.batchDim = kExamplesUnknown;
        }
        return out;
    }

    Flow elementwise(Node* node) {
        std::vector<const Flow*> flows;
        for (Value* in : node->inputs())
            if (const Flow* f = flowOf(in)) flows.push_back(f);
        if (flows.empty()) return dense(node);
        for (const Flow* f : flows)
            if (!sameShape(*f, *flows.front())) return dense(node);
        return unionOf(flows);
    }

    Flow concat(Node* node) {
        const ListFlow* list = listOf(node->input(0));
        auto dim = constInt(node->input(1));
        if (!list || list->every || !dim || list->items.empty()) return dense(node);
        Flow out = list->items.front();
        out.segs.clear();
        int64_t offset = 0;
        for (const Flow& f : list->items) {
            const auto onChannels = isChannelDim(*dim, f);
            if (f.segs.empty() || f.scale != 1 || f.split() || !onChannels || !*onChannels || f.channels < 0)
                return dense(node);
            for (InputSegment s : f.segs) {
                if (s.channels < 0 && s.mode != FlowMode::Dense) return dense(node);
                s.channelOffset += offset;
                if (s.mode == FlowMode::Dense) {
                    s.channelOffset = offset;
                    s.channels = f.channels;
                }
                out.segs.push_back(s);
            }
            offset += f.channels;
        }
        out.channels = offset;
        return out;
    }

    void collect(Node* node) {
        ListFlow list;
        bool any = false;
        for (Value* item : node->inputs()) {
            const Flow* f = flowOf(item);
            list.items.push_back(f ? *f : Flow{});
            any = any || f;
        }
        if (any) m_lists[node->output()] = std::move(list);
    }

    std::optional<Flow> itemOf(const ListFlow& list, std::optional<int64_t> i) const {
        if (list.every) return list.every;
        const auto n = static_cast<int64_t>(list.items.size());
        if (!i) {  // an index only known at run time: any item
            std::vector<const Flow*> all;
            for (const auto& item : list.items) all.push_back(&item);
            if (all.empty()) return std::nullopt;
            return unionOf(all);
        }
        const int64_t k = *i < 0 ? *i + n : *i;
        if (k < 0 || k >= n) return std::nullopt;
        return list.items[static_cast<size_t>(k)];
    }

    void unpack(Node* node) {
        const ListFlow* list = listOf(node->input(0));
        if (!list) return;
        const ListFlow copy = *list;
        for (size_t i = 0; i < node->outputs().size(); ++i)
            if (auto f = itemOf(copy, static_cast<int64_t>(i)); f && !f->segs.empty()) setFlow(node->output(i), *f);
    }

    void index(Node* node) {
        const ListFlow* list = listOf(node->input(0));
        if (!list) {
            if (const Flow* f = flowOf(node->input(0)); f && isTensor(node->output())) {
                setAll(node, dense(node));  // indexing a tensor with a tensor
            }
            return;
        }
        std::optional<int64_t> i;
        if (node->kind() == c10::prim::TupleIndex || node->inputs().size() > 1) i = constInt(node->input(1));
        const ListFlow copy = *list;
        if (auto f = itemOf(copy, i); f && !f->segs.empty()) setFlow(node->output(), *f);
    }

    // A list the specialisation could not turn into a plain list (built in a loop that did not
    // unroll): appended in straight-line code its items stay exact, in a loop they merge.
    void append(Node* node) {
        ListFlow list = listOf(node->input(0)) ? *listOf(node->input(0)) : ListFlow{};
        const Flow* item = flowOf(node->input(1));
        const Flow added = item ? *item : Flow{};
        if (node->owningBlock() == node->owningGraph()->block() && !list.every) {
            list.items.push_back(added);
        } else {
            std::vector<const Flow*> all;
            for (const auto& i : list.items) all.push_back(&i);
            if (list.every) all.push_back(&*list.every);
            all.push_back(&added);
            list.every = unionOf(all);
            list.items.clear();
        }
        m_lists[node->input(0)] = list;
        m_lists[node->output()] = list;
    }

    // chunk, split, unbind: a list (or several outputs) of exact channel ranges.
    bool visitSplit(Node* node, const Flow& in) {
        const auto kind = node->kind();
        std::optional<int64_t> dim;
        std::vector<int64_t> sizes;  // per item, along `dim`; empty: not known
        std::optional<int64_t> count;
        if (kind == c10::prim::ConstantChunk) {
            dim = node->i(torch::jit::attr::dim);
            count = node->i(torch::jit::attr::chunks);
        } else if (kind == c10::aten::chunk || kind == c10::aten::unsafe_chunk) {
            dim = constInt(node->input(2));
            count = constInt(node->input(1));
        } else if (kind == c10::aten::split || kind == c10::aten::unsafe_split ||
                   kind == c10::aten::split_with_sizes) {
            dim = constInt(node->input(2));
            if (auto list = torch::jit::toIValue(node->input(1)); list && list->isIntList()) sizes = list->toIntVector();
            else if (auto fixed = constInt(node->input(1))) sizes = {-*fixed};  // a fixed size, count to find
            else if (auto built = constIntList(node->input(1))) sizes = *built;
        } else if (kind == c10::aten::unbind) {
            dim = constInt(node->input(1));
        } else {
            return false;
        }
        if (!dim) return false;
        auto onChannels = isChannelDim(*dim, in);
        if (!onChannels) return false;
        if (kind == c10::aten::unbind) {
            if (*onChannels) return false;
            Flow item = in;
            if (auto d = normalisedDim(*dim, in.rank); d && item.channelDim > *d) --item.channelDim;
            if (item.rank > 0) --item.rank;
            setAll(node, item);
            return true;
        }
        if (!*onChannels || in.split()) {  // split along batch or positions: every piece is alike
            if (in.split()) return false;
            if (kind == c10::prim::ConstantChunk) {
                for (Value* out : node->outputs()) setFlow(out, in);
            } else {
                setAll(node, in);
            }
            return true;
        }
        if (in.channels < 0) return false;
        const int64_t c = in.channels;
        std::vector<std::pair<int64_t, int64_t>> ranges;
        if (count) {
            const int64_t step = (c + *count - 1) / *count;
            for (int64_t s = 0; s < c; s += step) ranges.push_back({s, std::min(step, c - s)});
        } else if (sizes.size() == 1 && sizes[0] < 0) {
            for (int64_t s = 0; s < c; s += -sizes[0]) ranges.push_back({s, std::min(-sizes[0], c - s)});
        } else if (!sizes.empty()) {
            int64_t s = 0;
            for (int64_t n : sizes) {
                ranges.push_back({s, n});
                s += n;
            }
            if (s != c) return false;
        } else {
            return false;
        }
        ListFlow list;
        for (const auto& [start, length] : ranges) {
            auto piece = sliceChannels(in, start, length);
            if (!piece) return false;
            list.items.push_back(*piece);
        }
        if (kind == c10::prim::ConstantChunk) {
            for (size_t i = 0; i < node->outputs().size() && i < list.items.size(); ++i)
                setFlow(node->output(i), list.items[i]);
        } else {
            m_lists[node->output()] = std::move(list);
        }
        return true;
    }

    // --- views ---------------------------------------------------------------------------

    // An int that a shape is built from: a constant, or arithmetic on a known channel count.
    std::optional<int64_t> evalInt(Value* v, int depth = 0) const {
        if (depth > 16) return std::nullopt;
        if (auto c = constInt(v)) return c;
        if (auto t = torch::jit::toIValue(v); t && t->isTensor() && t->toTensor().numel() == 1 &&
                                              !t->toTensor().is_floating_point())
            return t->toTensor().item<int64_t>();  // traced arithmetic on sizes: 0-d int tensors
        Node* n = v->node();
        const auto kind = n->kind();
        auto arg = [&](size_t i) { return evalInt(n->input(i), depth + 1); };
        if (kind == c10::aten::size && n->inputs().size() == 2) return sizeOf(n->input(0), constInt(n->input(1)), -1);
        if (kind == c10::prim::ListUnpack && n->input(0)->node()->kind() == c10::aten::size &&
            n->input(0)->node()->inputs().size() == 1) {
            const auto rank = static_cast<int>(n->outputs().size());
            return sizeOf(n->input(0)->node()->input(0), static_cast<int64_t>(v->offset()), rank);
        }
        if (kind == c10::aten::Int || kind == c10::prim::NumToTensor || kind == c10::aten::ScalarImplicit)
            return arg(0);
        if (n->inputs().size() < 2) return std::nullopt;
        const auto a = arg(0), b = arg(1);
        if (!a || !b) return std::nullopt;
        if (kind == c10::aten::floordiv || kind == c10::aten::floor_divide) return *b ? std::optional(*a / *b) : std::nullopt;
        if (kind == c10::aten::div && n->inputs().size() == 3) return *b ? std::optional(*a / *b) : std::nullopt;
        if (kind == c10::aten::mul) return *a * *b;
        if (kind == c10::aten::add && n->inputs().size() == 2) return *a + *b;
        if (kind == c10::aten::sub && n->inputs().size() == 2) return *a - *b;
        return std::nullopt;
    }

    // Size of dimension `dim` of `value`, when it is a channel dimension the analysis knows.
    std::optional<int64_t> sizeOf(const Value* value, std::optional<int64_t> dim, int rankHint) const {
        const Flow* f = flowOf(value);
        if (!f || !dim) return std::nullopt;
        Flow shaped = *f;
        if (shaped.rank < 0) shaped.rank = rankHint;
        auto d = normalisedDim(*dim, shaped.rank);
        if (!d) return *dim == -1 && f->channelDim == -1 && !f->split() ? std::optional(f->channels) : std::nullopt;
        if (shaped.split()) {
            if (*d == shaped.channelDim) return shaped.outerSize;
            if (*d == shaped.innerDim) return shaped.innerSize();
            return std::nullopt;
        }
        auto pos = channelPos(shaped);
        if (pos && *pos == *d && f->channels >= 0 && f->scale == 1) return f->channels;
        return std::nullopt;
    }

    // Sizes of a shape argument, one per dimension: known, -1 (inferred) or nullopt. With
    // `headUnknown`, an unknown number of dimensions stands before them (x.size()[:-1] + [n]).
    struct Shape {
        std::vector<std::optional<int64_t>> dims;
        bool headUnknown = false;
    };

    std::optional<Shape> shapeOf(Value* v, int depth = 0) const {
        if (depth > 8) return std::nullopt;
        if (auto list = constIntList(v)) return Shape{{list->begin(), list->end()}, false};
        Node* n = v->node();
        if (n->kind() == c10::prim::ListConstruct) {
            Shape out;
            for (Value* item : n->inputs()) out.dims.push_back(evalInt(item));
            return out;
        }
        if (n->kind() == c10::aten::add && n->inputs().size() == 2) {  // list + list
            auto a = shapeOf(n->input(0), depth + 1), b = shapeOf(n->input(1), depth + 1);
            if (!a || !b || b->headUnknown) return std::nullopt;
            a->dims.insert(a->dims.end(), b->dims.begin(), b->dims.end());
            return a;
        }
        // x.size()[:k]: leading sizes of a tensor, each unknown unless it is a channel.
        if (n->kind() == c10::aten::slice && n->inputs().size() == 4 && n->input(0)->node()->kind() == c10::aten::size &&
            n->input(0)->node()->inputs().size() == 1) {
            auto start = torch::jit::toIValue(n->input(1)), end = torch::jit::toIValue(n->input(2));
            auto step = constInt(n->input(3));
            if (!start || !end || !step || *step != 1 || !(start->isNone() || (start->isInt() && start->toInt() == 0)))
                return std::nullopt;
            const Flow* f = flowOf(n->input(0)->node()->input(0));
            if (!end->isInt() || end->toInt() >= 0 || !f) return std::nullopt;
            if (f->rank < 0) return Shape{{}, true};  // the size of those dimensions is never read
            return Shape{std::vector<std::optional<int64_t>>(static_cast<size_t>(std::max<int64_t>(0, f->rank + end->toInt()))), false};
        }
        return std::nullopt;
    }

    // A view that keeps the features last folds the leading dimensions into rows, or unfolds
    // them again: where the examples end up. Leading examples stay leading (folded with the
    // positions after them they are rows example by example, which examplesFirst reads alike).
    static int examplesAfterView(const Flow& in, int newRank) {
        if (in.batchDim == 0) return 0;
        if (newRank == in.rank && in.rank > 0) return in.batchDim;
        if (newRank == 2 && in.rank == 3 && in.batchDim == 1) return kExamplesMergedMinor;  // (T, B, C) -> (T*B, C)
        if (in.batchDim == kExamplesMergedMinor && newRank == 3) return 1;
        return kExamplesUnknown;
    }

    // The features of one projection viewed as (..., heads, head_dim): that projection's heads
    // (a traced model keeps no num_heads; GPT-2 views c_attn's slices so).
    void noteHeads(const Flow& in, int64_t heads) {
        int source = -2;
        for (const auto& seg : in.segs) {
            if (seg.mode != FlowMode::Identity || seg.source < 0 || (source != -2 && seg.source != source)) return;
            source = seg.source;
        }
        if (source >= 0) m_headsSeen[source].insert(heads);
    }

    std::optional<Flow> reshape(Node* node, const Flow& in) {
        auto shape = shapeOf(node->input(1));
        if (!shape) return std::nullopt;
        const auto& s = shape->dims;
        const int newRank = shape->headUnknown ? -1 : static_cast<int>(s.size());
        const int count = static_cast<int>(s.size());
        auto is = [&](int i, int64_t value) { return i >= 0 && i < count && s[static_cast<size_t>(i)] == value; };
        const auto pos = channelPos(in);
        // The channel dimension stays last (GPT-2's x.view(-1, C) and back).
        if (in.scale == 1 && !in.split() && in.channels >= 0 &&
            (in.channelDim == -1 || (pos && in.rank > 0 && *pos == in.rank - 1)) && is(count - 1, in.channels)) {
            Flow out = in;
            out.channelDim = -1;
            out.rank = newRank;
            out.batchDim = examplesAfterView(in, newRank);
            return out;
        }
        if (shape->headUnknown) return std::nullopt;
        if (in.split()) {  // merging the two halves back: channel order as they now stand
            const int lo = std::min(in.channelDim, in.innerDim);
            if (in.rank < 0 || newRank != in.rank - 1 || std::abs(in.channelDim - in.innerDim) != 1) return std::nullopt;
            if (!is(lo, in.channels) && !is(lo, -1)) return std::nullopt;
            auto out = mergeSplitChannels(in, in.innerDim < in.channelDim);
            if (out) {
                out->channelDim = lo;
                out->rank = newRank;
                if (in.batchDim > lo + 1) --out->batchDim;
                else if (in.batchDim > lo || in.batchDim < 0) out->batchDim = kExamplesUnknown;
            }
            return out;
        }
        if (in.scale != 1 || in.channels < 0) {
            if (newRank == 2 && in.channelDim == 1 && (in.rank == 3 || in.rank == 4) && in.scale == 1) {
                Flow out = in;  // flatten of a map whose width the consumer resolves
                out.rank = 2;
                out.scale = 0;
                return out;
            }
            return std::nullopt;
        }
        if (!pos || in.rank < 0) return std::nullopt;
        const int c = *pos;
        if (newRank == 2 && c == 1 && (in.rank == 3 || in.rank == 4)) {  // flatten(x, 1) spelled as a view
            Flow out = in;
            out.rank = 2;
            out.scale = 0;
            return out;
        }
        if (newRank == in.rank && is(c, in.channels)) return in;
        // The channel dimension viewed as two: (..., g, C / g, ...).
        if (newRank == in.rank + 1 && c + 1 < newRank) {
            auto outer = s[static_cast<size_t>(c)], inner = s[static_cast<size_t>(c + 1)];
            if (outer == -1 && inner && *inner > 0 && in.channels % *inner == 0) outer = in.channels / *inner;
            if (inner == -1 && outer && *outer > 0 && in.channels % *outer == 0) inner = in.channels / *outer;
            if (outer && inner && *outer > 0 && *inner > 0 && *outer * *inner == in.channels) {
                Flow out = in;
                out.rank = newRank;
                out.channelDim = c;
                out.innerDim = c + 1;
                out.outerSize = *outer;
                if (in.batchDim > c) ++out.batchDim;
                if (c + 2 == newRank) noteHeads(in, *outer);  // (..., heads, head_dim)
                return out;
            }
        }
        return std::nullopt;
    }

    std::optional<Flow> flatten(Node* node, const Flow& in) {
        auto start = constInt(node->input(1));
        auto end = constInt(node->input(2));
        if (!start || !end || in.split()) return std::nullopt;
        const auto pos = channelPos(in);
        if (pos && *pos == 1 && *start == 1 && (*end == -1 || (in.rank > 0 && *end == in.rank - 1))) {
            Flow out = in;
            out.rank = 2;
            out.scale = 0;
            if (in.rank == 2) out.scale = 1;  // nothing after the channels: flatten is a no-op
            return out;
        }
        if (pos && *start > *pos && in.channelDim >= 0) {
            Flow out = in;
            if (auto e = normalisedDim(*end, in.rank); e && in.rank > 0) out.rank = in.rank - (*e - static_cast<int>(*start));
            return out;
        }
        return std::nullopt;
    }

    std::optional<Flow> reduce(Node* node, const Flow& in) {
        if (node->inputs().size() < 3 || in.split()) return std::nullopt;
        auto dims = constIntList(node->input(1));
        auto keep = torch::jit::toIValue(node->input(2));
        const auto pos = channelPos(in);
        if (!dims || !keep || !keep->isBool() || !pos || in.scale != 1) return std::nullopt;
        Flow out = in;
        int removedBefore = 0;
        for (int64_t d : *dims) {
            auto nd = normalisedDim(d, in.rank);
            if (!nd) return std::nullopt;
            if (*nd == *pos) return std::nullopt;
            if (*nd < *pos) ++removedBefore;
            if (*nd == in.batchDim) out.batchDim = kExamplesUnknown;
        }
        if (!keep->toBool() && out.batchDim > 0)
            for (int64_t d : *dims)
                if (*normalisedDim(d, in.rank) < in.batchDim) --out.batchDim;
        if (!keep->toBool()) {
            if (in.channelDim >= 0) out.channelDim -= removedBefore;
            if (in.rank > 0) out.rank = in.rank - static_cast<int>(dims->size());
        }
        return out;
    }

    // Moves dimensions: the channel dimension (both halves, when split) follows.
    std::optional<Flow> moveDims(const Flow& in, const std::vector<int>& newToOld) {
        const int rank = static_cast<int>(newToOld.size());
        if (in.rank >= 0 && in.rank != rank) return std::nullopt;
        auto track = [&](int oldPos) -> std::optional<int> {
            for (int j = 0; j < rank; ++j)
                if (newToOld[static_cast<size_t>(j)] == oldPos) return j;
            return std::nullopt;
        };
        Flow out = in;
        out.rank = rank;
        if (in.batchDim >= 0) out.batchDim = track(in.batchDim).value_or(kExamplesUnknown);
        else out.batchDim = kExamplesUnknown;  // a merged or unknown example dimension moved
        auto pos = in.channelDim >= 0 ? std::optional<int>(in.channelDim) : std::optional<int>(rank - 1);
        auto moved = track(*pos);
        if (!moved) return std::nullopt;
        out.channelDim = *moved;
        if (in.split()) {
            auto inner = track(in.innerDim);
            if (!inner) return std::nullopt;
            out.innerDim = *inner;
        } else if (*moved == rank - 1 && in.channelDim == -1) {
            out.channelDim = -1;
        }
        return out;
    }

    std::optional<Flow> transposeDims(const Flow& in, int64_t d0, int64_t d1) {
        if (in.rank < 0) {
            // Rank unknown: only a transpose that clearly leaves the channel dimension alone.
            if (in.channelDim >= 0 && d0 >= 0 && d1 >= 0 && d0 != in.channelDim && d1 != in.channelDim && !in.split())
                return in;
            if (in.channelDim == -1 && d0 == -1 && d1 >= 0) {
                Flow out = in;
                out.channelDim = static_cast<int>(d1);
                return out;
            }
            if (in.channelDim == -1 && d1 == -1 && d0 >= 0) {
                Flow out = in;
                out.channelDim = static_cast<int>(d0);
                return out;
            }
            return std::nullopt;
        }
        auto a = normalisedDim(d0, in.rank), b = normalisedDim(d1, in.rank);
        if (!a || !b) return std::nullopt;
        std::vector<int> order(static_cast<size_t>(in.rank));
        for (int i = 0; i < in.rank; ++i) order[static_cast<size_t>(i)] = i;
        std::swap(order[static_cast<size_t>(*a)], order[static_cast<size_t>(*b)]);
        return moveDims(in, order);
    }

    std::optional<Flow> transpose(Node* node, const Flow& in) {
        auto d0 = constInt(node->input(1)), d1 = constInt(node->input(2));
        if (!d0 || !d1) return std::nullopt;
        return transposeDims(in, *d0, *d1);
    }

    std::optional<Flow> permute(Node* node, const Flow& in) {
        auto dims = constIntList(node->input(1));
        if (!dims) return std::nullopt;
        const int rank = static_cast<int>(dims->size());
        std::vector<int> order;
        for (int64_t d : *dims) {
            auto nd = normalisedDim(d, rank);
            if (!nd) return std::nullopt;
            order.push_back(*nd);
        }
        return moveDims(in, order);
    }

    std::optional<Flow> slice(Node* node, const Flow& in) {
        auto dim = constInt(node->input(1));
        if (!dim) return std::nullopt;
        auto onChannels = isChannelDim(*dim, in);
        if (!onChannels || in.split()) return std::nullopt;
        if (!*onChannels) return in;  // positions or batch: the channels are untouched
        auto start = constInt(node->input(2));
        if (!start || in.channels < 0) return std::nullopt;
        const int64_t c = in.channels;
        auto clampIndex = [&](int64_t i) { return std::clamp(i < 0 ? i + c : i, int64_t{0}, c); };
        if (node->kind() == c10::aten::narrow) {
            auto length = constInt(node->input(3));
            if (!length) return std::nullopt;
            return sliceChannels(in, clampIndex(*start), *length);
        }
        auto endValue = torch::jit::toIValue(node->input(3));
        auto step = constInt(node->input(4));
        if (!endValue || !step || *step < 1) return std::nullopt;
        const int64_t end = endValue->isNone() ? c : clampIndex(endValue->toInt());
        std::vector<int64_t> picked;
        for (int64_t i = clampIndex(*start); i < end; i += *step) picked.push_back(i);
        return gatherChannels(in, picked);
    }

    // select(x, d, i) or squeeze(x, d) of a dimension other than the channels' (a batch or a
    // position): the dimension goes, the channels stay.
    std::optional<Flow> dropDim(Node* node, const Flow& in) {
        auto dim = constInt(node->input(1));
        if (!dim || in.split()) return std::nullopt;
        auto onChannels = isChannelDim(*dim, in);
        if (!onChannels || *onChannels) return std::nullopt;  // picking one channel drops the dimension
        auto d = normalisedDim(*dim, in.rank);
        if (!d) return std::nullopt;
        Flow out = in;
        if (out.channelDim > *d) --out.channelDim;
        if (out.rank > 0) --out.rank;
        if (in.batchDim == *d || in.batchDim < 0) out.batchDim = kExamplesUnknown;
        else if (in.batchDim > *d) --out.batchDim;
        return out;
    }

    std::optional<Flow> unsqueeze(Node* node, const Flow& in) {
        auto dim = constInt(node->input(1));
        if (!dim || in.split()) return std::nullopt;
        auto d = normalisedDim(*dim, in.rank < 0 ? -1 : in.rank + 1);
        if (!d) return std::nullopt;
        Flow out = in;
        if (out.channelDim >= *d) ++out.channelDim;
        if (out.channelDim < 0 && in.rank < 0) return std::nullopt;
        if (in.batchDim >= *d) ++out.batchDim;
        else if (in.batchDim < 0) out.batchDim = kExamplesUnknown;
        if (out.rank > 0) ++out.rank;
        return out;
    }

    std::optional<Flow> shuffle(Node* node, const Flow& in) {
        auto groups = constInt(node->input(1));
        if (!groups || *groups < 1 || in.channels < 0 || in.channels % *groups || in.channelDim != 1) return std::nullopt;
        return gatherChannels(in, shuffleOrder(in.channels, *groups));
    }

    // --- control flow --------------------------------------------------------------------

    void mergeInto(const Value* to, const std::vector<const Value*>& from) {
        std::vector<const Flow*> flows;
        std::vector<const ListFlow*> lists;
        for (const Value* v : from) {
            if (const Flow* f = flowOf(v)) flows.push_back(f);
            if (const ListFlow* l = listOf(v)) lists.push_back(l);
        }
        if (!flows.empty()) setFlow(to, unionOf(flows));
        if (lists.empty()) return;
        bool sameCount = true;
        for (const ListFlow* l : lists)
            sameCount = sameCount && !l->every && l->items.size() == lists.front()->items.size();
        ListFlow merged;
        if (sameCount) {
            for (size_t i = 0; i < lists.front()->items.size(); ++i) {
                std::vector<const Flow*> items;
                for (const ListFlow* l : lists) items.push_back(&l->items[i]);
                merged.items.push_back(unionOf(items));
            }
        } else {
            std::vector<const Flow*> all;
            for (const ListFlow* l : lists) {
                for (const auto& item : l->items) all.push_back(&item);
                if (l->every) all.push_back(&*l->every);
            }
            merged.every = unionOf(all);
        }
        m_lists[to] = std::move(merged);
    }

    void visitIf(Node* node) {
        for (Block* b : node->blocks()) walk(b);
        for (size_t i = 0; i < node->outputs().size(); ++i) {
            std::vector<const Value*> sides;
            for (Block* b : node->blocks()) sides.push_back(b->outputs()[i]);
            mergeInto(node->output(i), sides);
        }
    }

    // A loop the specialisation could not unroll: its carried values may come from the first
    // or any later trip, so the body is walked twice with the union of both.
    void visitLoop(Node* node) {
        Block* body = node->blocks()[0];
        const size_t carried = node->outputs().size();
        for (size_t i = 0; i < carried; ++i) mergeInto(body->inputs()[i + 1], {node->input(i + 2)});
        walk(body);
        for (size_t i = 0; i < carried; ++i) mergeInto(body->inputs()[i + 1], {node->input(i + 2), body->outputs()[i + 1]});
        walk(body);
        for (size_t i = 0; i < carried; ++i) mergeInto(node->output(i), {node->input(i + 2), body->outputs()[i + 1]});
    }

    // --- layers --------------------------------------------------------------------------

    void visitLayer(Node* node, int index) {
        LayerInfo& info = m_layers[static_cast<size_t>(index)].info;
        const Flow* in = flowOf(layerDataInput(node));
        if (in) info.inputs = resolveInputs(*in, info);
        if (!info.isConv()) {
            info.exampleDim = in ? in->batchDim : 0;
            if (info.exampleDim == kExamplesUnknown) m_unknownExamples.push_back(info.name);
        }
        Flow out;
        out.channels = info.outChannels;
        if (info.isConv()) {
            out.channelDim = 1;
            out.rank = info.kind == LayerKind::Conv2d ? 4 : 3;
        } else {
            out.channelDim = -1;
            out.rank = in ? in->rank : -1;
            out.batchDim = info.exampleDim;
        }
        out.segs.push_back({index, 0, info.outChannels, 0, info.outChannels, FlowMode::Identity});
        setFlow(node->output(), out);
    }

    // The flow's channels are the ones the layer reads: dimension 1 of a convolution's input,
    // the last dimension of a linear layer's.
    static bool readsTrackedChannels(const Flow& in, const LayerInfo& info) {
        if (in.freeLayout) return true;
        if (in.split()) return false;
        if (in.scale != 1) return !info.isConv();
        if (info.isConv()) return in.channelDim == 1;
        return in.channelDim == -1 || (in.rank > 0 && in.channelDim == in.rank - 1);
    }

    // Converts a flow into the layer's input segments, in the layer's input-channel units.
    std::vector<InputSegment> resolveInputs(const Flow& in, const LayerInfo& info) {
        int64_t factor = 1;
        if (in.scale != 1) {
            if (in.channels > 0 && info.inChannels % in.channels == 0) factor = info.inChannels / in.channels;
            else factor = -1;
        }
        const bool exact = readsTrackedChannels(in, info);
        if (!exact) m_denseOps.insert("layout change into " + info.name);
        std::vector<InputSegment> out;
        for (InputSegment s : in.segs) {
            const int64_t sourceOut = s.source >= 0 ? m_layers[static_cast<size_t>(s.source)].info.outChannels : -1;
            if (s.mode == FlowMode::Dense || factor < 0 || !exact) {
                InputSegment d{s.source, 0, info.inChannels, 0, sourceOut, FlowMode::Dense};
                if (std::none_of(out.begin(), out.end(), [&](const InputSegment& t) { return sameSegment(t, d); }))
                    out.push_back(d);
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

    // Heads seen in the graph: the projection viewed into them, and its block's output
    // projection (the same parent module, named as one: o, out_proj, c_proj, ...).
    void markViewedHeads() {
        for (const auto& [l, counts] : m_headsSeen) {
            LayerInfo& info = m_layers[static_cast<size_t>(l)].info;
            if (counts.size() != 1 || info.isConv()) continue;
            const int64_t heads = *counts.begin();
            if (!headRole(info, heads)) continue;
            info.heads = heads;
            info.attention = attentionGroup(info);
            for (auto& other : m_layers) {
                LayerInfo& o = other.info;
                if (o.heads != 0 || o.isConv() || attentionGroup(o) != info.attention) continue;
                if (auto role = headRole(o, heads); role && *role == HeadRole::Merge) {
                    o.heads = heads;
                    o.attention = info.attention;
                }
            }
        }
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
            // A list that reaches the output carries whatever was appended to it.
            if (isTensorList(v))
                for (const auto& use : v->uses())
                    if (use.user->kind() == c10::aten::append || use.user->kind() == c10::aten::insert ||
                        use.user->kind() == c10::aten::_set_item)
                        for (const Value* in : use.user->inputs()) stack.push_back(in);
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
