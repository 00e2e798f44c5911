#include "engine/internal/graph_specialise.h"

#include <set>
#include <utility>

#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/loop_unrolling.h>
#include <torch/csrc/jit/passes/remove_mutation.h>

#include "engine/internal/model_impl.h"

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

bool containsFusedAttention(const Block* block) {
    for (const Node* node : block->nodes()) {
        const std::string kind = node->kind().toQualString();
        if (kind == "aten::_native_multi_head_attention" || kind == "aten::_transformer_encoder_layer_fwd")
            return true;
        for (const Block* sub : node->blocks())
            if (containsFusedAttention(sub)) return true;
    }
    return false;
}

// nn.MultiheadAttention and nn.TransformerEncoderLayer choose at run time between a fused
// kernel (no derivative, projections hidden inside) and the reference path; both compute the
// same function, so the analysis graph always takes the reference path.
int preferReferenceAttention(Graph& graph) {
    int folded = 0;
    for (Node* node : flattenNodes(graph.block())) {
        if (node->kind() != c10::prim::If) continue;
        const bool thenFused = containsFusedAttention(node->blocks()[0]);
        const bool elseFused = containsFusedAttention(node->blocks()[1]);
        if (thenFused == elseFused) continue;
        torch::jit::WithInsertPoint point(node);
        node->replaceInput(0, graph.insertConstant(c10::IValue(!thenFused)));
        ++folded;
    }
    return folded;
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
        const std::string kind = node->kind().toQualString();
        if (kind != "aten::_native_multi_head_attention" && kind != "aten::_transformer_encoder_layer_fwd") continue;
        notes.push_back("the model runs the fused kernel " + kind +
                        " (traced under torch.no_grad): its projections are not layers and no gradient passes it, "
                        "so nothing before it can be scored; trace with autograd on or export with torch.jit.script");
        return;
    }
}

}  // namespace

void specialiseGraph(const torch::jit::Module& module, std::shared_ptr<Graph>& graph, std::vector<std::string>& notes) {
    noteUnconditionalFusedAttention(*graph, notes);
    const int replaced = replaceConstantAttributes(module, *graph);
    const int fused = preferReferenceAttention(*graph);
    if (replaced == 0 && fused == 0) return;  // nothing to fold: a traced graph stays as it was
    // Dead-code elimination runs inside the passes below. Layers whose result the model never
    // uses are still layers of the model (reported unreachable, as for a traced model), so
    // their outputs are kept alive as temporary graph outputs while the passes run.
    const size_t realOutputs = graph->outputs().size();
    for (Node* node : graph->block()->nodes())
        if (isLayerLike(node)) graph->registerOutput(node->output());
    torch::jit::ConstantPropagation(graph);
    torch::jit::UnrollConstantLoops(graph);
    torch::jit::RemoveListMutation(graph);
    torch::jit::ConstantPropagation(graph);
    while (graph->outputs().size() > realOutputs) graph->eraseOutput(graph->outputs().size() - 1);
    if (fused > 0)
        notes.push_back("fused attention kernels (" + std::to_string(fused) +
                        " run-time choices) are analysed and run on their reference path with separate projections");
}

}  // namespace cx::engine
