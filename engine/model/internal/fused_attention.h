#pragma once
// A model traced under torch.no_grad records nn.MultiheadAttention's fused kernel
// (aten::_native_multi_head_attention): no derivative, projections hidden inside. Where it is
// plain self-attention, it is rewritten into the reference computation with its two
// projections as ordinary linear layers.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/csrc/jit/ir/ir.h>

namespace cx::engine {

/// Heads of an attention block found while rewriting: weight parameter path -> (heads, block).
struct AttentionHeads {
    int64_t heads = 0;
    std::string block;
};

/// Rewrites every fused self-attention node (query, key and value one value, no mask, constant
/// head count) into linear(x, in_proj) -> heads -> softmax(q k^T / sqrt(d)) v -> linear(out_proj),
/// the same function up to float rounding. Fills `heads` for both projection weights. Others
/// stay fused (specialiseGraph then says why nothing before them can be scored).
int decomposeFusedAttention(torch::jit::Graph& graph, std::map<std::string, AttentionHeads>& heads,
                            std::vector<std::string>& notes);

}  // namespace cx::engine
