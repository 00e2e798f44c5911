#include "engine/model/internal/fused_attention.h"

#include <torch/csrc/api/include/torch/jit.h>
#include <torch/csrc/jit/ir/constants.h>

#include "engine/model/internal/model_impl.h"

namespace cx::engine {
namespace {

using torch::jit::Node;
using torch::jit::Value;

// The reference path of aten::_native_multi_head_attention for batch-first self-attention
// (PyTorch's own slow path: one packed in-projection, scaled dot product, out-projection).
const char* kReference = R"JIT(
def attention(x: Tensor, embed_dim: int, num_heads: int, qkv_weight: Tensor, qkv_bias: Tensor,
              proj_weight: Tensor, proj_bias: Tensor, need_weights: bool, average_attn_weights: bool):
    b = x.size(0)
    l = x.size(1)
    head_dim = embed_dim // num_heads
    qkv = torch.linear(x, qkv_weight, qkv_bias)
    q, k, v = qkv.chunk(3, -1)
    q = q.reshape(b, l, num_heads, head_dim).transpose(1, 2)
    k = k.reshape(b, l, num_heads, head_dim).transpose(1, 2)
    v = v.reshape(b, l, num_heads, head_dim).transpose(1, 2)
    attn = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) / (float(head_dim) ** 0.5), -1)
    out = torch.matmul(attn, v).transpose(1, 2).reshape(b, l, embed_dim)
    out = torch.linear(out, proj_weight, proj_bias)
    weights = torch.empty([0], dtype=x.dtype, device=x.device)
    if need_weights:
        if average_attn_weights:
            weights = attn.mean(1)
        else:
            weights = attn
    return out, weights
)JIT";

std::string parentPath(const std::string& path) {
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? std::string() : path.substr(0, dot);
}

// Why this fused node cannot be rewritten, or empty.
std::string unsupported(Node* node) {
    if (node->inputs().size() < 12) return "an unknown signature";
    if (node->input(0) != node->input(1) || node->input(1) != node->input(2)) return "cross-attention";
    auto mask = torch::jit::toIValue(node->input(9));
    if (!mask || !mask->isNone()) return "an attention mask";
    if (!torch::jit::toIValue(node->input(4))) return "a head count known only at run time";
    if (auto t = node->input(0)->type()->cast<c10::TensorType>(); t && t->dim() && *t->dim() != 3)
        return "an unbatched input";
    return {};
}

}  // namespace

int decomposeFusedAttention(torch::jit::Graph& graph, std::map<std::string, AttentionHeads>& heads,
                            std::vector<std::string>& notes) {
    std::vector<Node*> fused;
    for (Node* node : graph.block()->nodes())
        if (node->kind().toQualString() == std::string("aten::_native_multi_head_attention")) fused.push_back(node);
    if (fused.empty()) return 0;
    auto unit = torch::jit::compile(kReference);
    auto& reference = toGraphFunction(unit->get_function("attention"));
    int rewritten = 0;
    for (Node* node : fused) {
        if (const std::string why = unsupported(node); !why.empty()) {
            notes.push_back("fused attention with " + why + " is kept fused");
            continue;
        }
        torch::jit::WithInsertPoint point(node);
        const std::vector<Value*> args = {node->input(0), node->input(3),  node->input(4), node->input(5),
                                          node->input(6), node->input(7),  node->input(8), node->input(10),
                                          node->input(11)};
        auto callee = reference.graph()->copy();
        auto results = torch::jit::insertGraph(graph, *callee, args);
        Node* unpack = graph.insertNode(graph.createTupleUnpack(results.at(0)));
        for (size_t i = 0; i < node->outputs().size(); ++i) node->output(i)->replaceAllUsesWith(unpack->output(i));
        const int64_t count = torch::jit::toIValue(node->input(4))->toInt();
        const std::string inProj = attributePath(node->input(5));
        for (const std::string& weight : {inProj, attributePath(node->input(7))})
            if (!weight.empty()) heads[weight] = {count, parentPath(inProj)};
        node->destroy();
        ++rewritten;
    }
    if (rewritten > 0)
        notes.push_back("fused attention kernels (" + std::to_string(rewritten) +
                        ", traced without autograd) are rewritten into their reference computation with separate "
                        "projections");
    return rewritten;
}

}  // namespace cx::engine
