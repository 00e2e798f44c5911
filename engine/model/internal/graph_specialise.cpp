#include "engine/model/internal/graph_specialise.h"

#include <set>
#include <unordered_map>
#include <utility>

#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/passes/common_subexpression_elimination.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/loop_unrolling.h>
#include <torch/csrc/jit/passes/remove_mutation.h>
#include <torch/csrc/jit/passes/shape_analysis.h>

#include "engine/model/internal/model_impl.h"

namespace cx::engine {
namespace {

using torch::jit::Block;
using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

// The object or value a module-attribute chain (self.a.b.c) reads, when it can be followed.
std::optional<c10::IValue> attributeValue(const torch::jit::Module& root, const Value* v) {
    const Node* node = v->node();
    if (v == node->owningGraph()->inputs().at(0)) return root._ivalue();
    if (node->kind() != c10::prim::GetAttr) return std::nullopt;
    auto parent = attributeValue(root, node->input(0));
    if (!parent || !parent->isObject()) return std::nullopt;
    const auto& object = parent->toObject();
    auto slot = object->type()->findAttributeSlot(node->s(torch::jit::attr::name));
    if (!slot) return std::nullopt;
    return object->getSlot(*slot);
}

using AttributeKey = std::pair<const c10::ivalue::Object*, std::string>;

// Attributes the forward writes: never specialised.
std::set<AttributeKey> writtenAttributes(const torch::jit::Module& root, const std::vector<Node*>& nodes) {
    std::set<AttributeKey> written;
    for (Node* node : nodes) {
        if (node->kind() != c10::prim::SetAttr) continue;
        auto object = attributeValue(root, node->input(0));
        if (object && object->isObject())
            written.insert({object->toObject().get(), node->s(torch::jit::attr::name)});
    }
    return written;
}

bool isSpecialisable(const c10::IValue& v) {
    return v.isBool() || v.isInt() || v.isDouble() || v.isString() || v.isNone() || v.isIntList() ||
           v.isBoolList() || v.isDoubleList();
}

int replaceConstantAttributes(const torch::jit::Module& root, Graph& graph) {
    const auto nodes = flattenNodes(graph.block());
    const auto written = writtenAttributes(root, nodes);
    int replaced = 0;
    for (Node* node : nodes) {
        if (node->kind() != c10::prim::GetAttr) continue;
        auto parent = attributeValue(root, node->input(0));
        if (!parent || !parent->isObject()) continue;
        const std::string name = node->s(torch::jit::attr::name);
        if (written.count({parent->toObject().get(), name})) continue;
        auto value = attributeValue(root, node->output());
        if (!value || !isSpecialisable(*value)) continue;
        torch::jit::WithInsertPoint point(node);
        node->output()->replaceAllUsesWith(graph.insertConstant(*value));
        ++replaced;
    }
    return replaced;
}

bool isFusedAttention(const Node* node) {
    const std::string kind = node->kind().toQualString();
    return kind == "aten::_native_multi_head_attention" || kind == "aten::_transformer_encoder_layer_fwd";
}

// Values that are a fused kernel's result, passed on unchanged (through If outputs, casts,
// tuples): where a branch hands on such a value, the other branch computes it for real.
class FusedResults {
public:
    bool value(const Value* v) {
        auto it = m_memo.find(v);
        if (it != m_memo.end()) return it->second;
        m_memo[v] = false;
        const Node* node = v->node();
        bool fused = isFusedAttention(node);
        const auto k = node->kind();
        if (k == c10::prim::unchecked_cast || k == c10::prim::TupleUnpack || k == c10::prim::TupleIndex ||
            k == c10::prim::TupleConstruct || k == c10::prim::ListUnpack)
            for (const Value* in : node->inputs()) fused = fused || value(in);
        if (k == c10::prim::If)
            for (const Block* b : node->blocks()) fused = fused || value(b->outputs()[v->offset()]);
        return m_memo[v] = fused;
    }

    // Whether the branch runs a fused kernel or hands on what one computed.
    bool block(const Block* b) {
        for (const Node* node : b->nodes()) {
            if (isFusedAttention(node)) return true;
            for (const Block* sub : node->blocks())
                if (block(sub)) return true;
        }
        for (const Value* out : b->outputs())
            if (value(out)) return true;
        return false;
    }

private:
    std::unordered_map<const Value*, bool> m_memo;
};

// nn.MultiheadAttention and nn.TransformerEncoderLayer choose at run time between a fused
// kernel (no derivative, projections hidden inside) and the reference path; both compute the
// same function, so the analysis graph always takes the reference path. One choice at a time,
// in graph order, each folded away before the next is judged: once the reference path is
// taken, what follows no longer hands on a fused result.
bool foldFirstFusedChoice(Graph& graph) {
    FusedResults fused;
    for (Node* node : flattenNodes(graph.block())) {
        if (node->kind() != c10::prim::If || torch::jit::toIValue(node->input(0))) continue;
        const bool thenFused = fused.block(node->blocks()[0]);
        const bool elseFused = fused.block(node->blocks()[1]);
        if (thenFused == elseFused) continue;
        torch::jit::WithInsertPoint point(node);
        node->replaceInput(0, graph.insertConstant(c10::IValue(!thenFused)));
        return true;
    }
    return false;
}

bool hasFusedAttention(const Block* block) {
    for (const Node* node : block->nodes()) {
        if (isFusedAttention(node)) return true;
        for (const Block* sub : node->blocks())
            if (hasFusedAttention(sub)) return true;
    }
    return false;
}

// `key is value` on one SSA value is true whatever runs (nn.MultiheadAttention asks it to pick
// its packed self-attention path). Different values may still alias at run time: left alone.
int foldIdentityChecks(Graph& graph) {
    int folded = 0;
    for (Node* node : flattenNodes(graph.block())) {
        const bool is = node->kind() == c10::aten::__is__, isNot = node->kind() == c10::aten::__isnot__;
        if ((!is && !isNot) || node->inputs().size() != 2 || node->input(0) != node->input(1)) continue;
        if (!node->output()->hasUses()) continue;  // already folded, waiting for dead-code elimination
        torch::jit::WithInsertPoint point(node);
        node->output()->replaceAllUsesWith(graph.insertConstant(c10::IValue(is)));
        ++folded;
    }
    return folded;
}

// An If whose branches each return one value for two outputs returns one object twice
// (query = key = value = x.transpose(1, 0)): the second output becomes the first, so that a
// later `key is value` sees one value.
int mergeEqualIfOutputs(Graph& graph) {
    int merged = 0;
    auto nodes = flattenNodes(graph.block());
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {  // inner Ifs first
        Node* node = *it;
        if (node->kind() != c10::prim::If) continue;
        for (size_t j = 1; j < node->outputs().size(); ++j) {
            if (!node->output(j)->hasUses()) continue;
            for (size_t i = 0; i < j; ++i) {
                bool same = true;
                for (Block* b : node->blocks()) same = same && b->outputs()[i] == b->outputs()[j];
                if (!same) continue;
                node->output(j)->replaceAllUsesWith(node->output(i));
                ++merged;
                break;
            }
        }
    }
    return merged;
}

bool isLayerLike(const Node* node) {
    const auto k = node->kind();
    return k == c10::aten::conv1d || k == c10::aten::conv2d || k == c10::aten::_convolution ||
           k == c10::aten::_convolution_mode ||
           k == c10::aten::linear || k == c10::aten::addmm || k == c10::aten::matmul || k == c10::aten::mm;
}

// A traced model records the fused kernel itself when it was traced without autograd: its
// projections are hidden inside and no gradient passes it. Said plainly, with the way out.
void noteUnconditionalFusedAttention(const Graph& graph, std::vector<std::string>& notes) {
    for (const Node* node : graph.block()->nodes()) {
        if (!isFusedAttention(node)) continue;
        const std::string kind = node->kind().toQualString();
        notes.push_back("the model runs the fused kernel " + kind +
                        " (traced under torch.no_grad): its projections are not layers and no gradient passes it, "
                        "so nothing before it can be scored; trace with autograd on or export with torch.jit.script");
        return;
    }
}

// The rank of the batches the engine will feed (it always runs batches: N x C x H x W images,
// N x T token ids), from the input's direct uses; nullopt where they do not say or disagree.
std::optional<int64_t> batchedInputRank(const Graph& graph, std::string& evidence) {
    if (graph.inputs().size() != 2) return std::nullopt;  // self and one data input
    const Value* x = graph.inputs()[1];
    std::optional<int64_t> rank;
    for (const auto& use : x->uses()) {
        const Node* n = use.user;
        std::optional<int64_t> r;
        if (use.offset == 0 && n->kind() == c10::aten::conv1d) r = 3;
        if (use.offset == 0 && n->kind() == c10::aten::conv2d) r = 4;
        if (use.offset == 0 && n->kind() == c10::aten::conv3d) r = 5;
        if (use.offset == 1 && n->kind() == c10::aten::embedding) r = 2;
        if (n->kind() == c10::aten::size && n->inputs().size() == 1)  // n, c, h, w = x.shape
            for (const auto& sizeUse : n->output()->uses())
                if (sizeUse.user->kind() == c10::prim::ListUnpack) r = static_cast<int64_t>(sizeUse.user->outputs().size());
        if (!r) continue;
        if (rank && *rank != *r) return std::nullopt;
        rank = r;
        evidence = n->kind().toQualString();
    }
    return rank;
}

// Folds `aten::dim` of values whose rank follows from the input's. The shape analysis that
// derives them refines types all over the graph; they are put back afterwards, so that the
// rest of the analysis sees the graph as before with only the rank checks answered.
int foldInputRank(std::shared_ptr<Graph>& graph, int64_t rank) {
    std::vector<std::pair<Value*, c10::TypePtr>> types;
    for (Value* in : graph->inputs()) types.emplace_back(in, in->type());
    for (Node* node : flattenNodes(graph->block()))
        for (Value* out : node->outputs()) types.emplace_back(out, out->type());
    graph->inputs()[1]->setType(c10::TensorType::get()->withDim(static_cast<size_t>(rank)));
    int folded = 0;
    try {
        torch::jit::PropagateInputShapes(graph);
        for (Node* node : flattenNodes(graph->block())) {
            if (node->kind() != c10::aten::dim || node->inputs().size() != 1) continue;
            auto type = node->input()->type()->cast<c10::TensorType>();
            if (!type || !type->dim()) continue;
            torch::jit::WithInsertPoint guard(node);
            node->output()->replaceAllUsesWith(graph->insertConstant(static_cast<int64_t>(*type->dim())));
            ++folded;
        }
    } catch (const c10::Error&) {
        folded = 0;  // the shape analysis could not follow the graph: nothing folded is kept
    }
    for (auto& [value, type] : types) value->setType(type);
    return folded;
}

}  // namespace

void specialiseGraph(const torch::jit::Module& module, std::shared_ptr<Graph>& graph, std::vector<std::string>& notes,
                     int64_t& inputRank) {
    inputRank = 0;
    noteUnconditionalFusedAttention(*graph, notes);
    const int replaced = replaceConstantAttributes(module, *graph);
    if (replaced == 0 && !hasFusedAttention(graph->block())) return;  // a traced graph stays as it was
    // Dead-code elimination runs inside the passes below. Layers whose result the model never
    // uses are still layers of the model (reported unreachable, as for a traced model), so
    // their outputs are kept alive as temporary graph outputs while the passes run.
    const size_t realOutputs = graph->outputs().size();
    for (Node* node : graph->block()->nodes())
        if (isLayerLike(node)) graph->registerOutput(node->output());
    torch::jit::ConstantPropagation(graph);
    int fused = 0;
    auto foldChoices = [&] {
        // Folding one branch can make two names one value, which answers the next identity check.
        for (int round = 0; round < 1000; ++round) {
            const bool choice = foldFirstFusedChoice(*graph);
            const bool merged = mergeEqualIfOutputs(*graph) > 0;
            if (merged) torch::jit::EliminateCommonSubexpression(graph);
            const bool identity = foldIdentityChecks(*graph) > 0 || merged;
            if (!choice && !identity) break;
            fused += choice;
            torch::jit::ConstantPropagation(graph);
        }
    };
    foldChoices();
    const auto asksRank = [&] {
        for (Node* node : flattenNodes(graph->block()))
            if (node->kind() == c10::aten::dim) return true;
        return false;
    };
    std::string evidence;
    if (asksRank())
        if (auto rank = batchedInputRank(*graph, evidence)) {
            if (const int folded = foldInputRank(graph, *rank); folded > 0) {
                inputRank = *rank;
                torch::jit::ConstantPropagation(graph);
                foldChoices();
                notes.push_back("the forward asks its input's rank: it is analysed and run for batches of rank " +
                                std::to_string(*rank) + " (the input's first use is " + evidence + "); " +
                                std::to_string(folded) + " rank checks folded");
            }
        }
    torch::jit::UnrollConstantLoops(graph);
    torch::jit::RemoveListMutation(graph);
    torch::jit::ConstantPropagation(graph);
    while (graph->outputs().size() > realOutputs) graph->eraseOutput(graph->outputs().size() - 1);
    if (fused > 0)
        notes.push_back("fused attention kernels (" + std::to_string(fused) +
                        " run-time choices) are analysed and run on their reference path with separate projections");
}

}  // namespace cx::engine
