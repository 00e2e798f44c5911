#pragma once
// Specialises an inlined forward graph on the module it belongs to, so that the analysis sees
// the network that actually runs: constant module attributes become constants, branches on them
// fold away, constant loops unroll and lists built by append become plain lists.
#include <memory>
#include <string>
#include <vector>

#include <torch/script.h>
#include <torch/csrc/jit/ir/ir.h>

namespace cx::engine {

/// Rewrites `graph` (already inlined, its input 0 is `module`) in place:
/// - `prim::GetAttr` of a bool, int, float, string, None or list of those on a module (never a
///   tensor, never an attribute the forward writes with `prim::SetAttr`) becomes a constant;
/// - a `prim::If` whose one branch runs a fused attention kernel without a derivative
///   (`_native_multi_head_attention`, `_transformer_encoder_layer_fwd`) always takes the other,
///   the reference path that computes the same function with separate projections;
/// - constant propagation, dead-code elimination, unrolling of constant loops and removal of
///   list mutation then leave straight-line code wherever the branches were constant.
/// - where the forward asks its input's rank (`x.dim()`, as nn.MultiheadAttention's "is the
///   input batched" check does), the rank of the batches the engine feeds is read from the
///   input's first use (conv1d/2d/3d: 3/4/5, embedding: 2, `n, c, h, w = x.shape`: 4), and the
///   checks are folded for it; `inputRank` is then that rank (0 otherwise).
/// The graph stays executable with the same module. Each rewrite that changes what the
/// analysis sees is named in `notes`.
void specialiseGraph(const torch::jit::Module& module, std::shared_ptr<torch::jit::Graph>& graph,
                     std::vector<std::string>& notes, int64_t& inputRank);

}  // namespace cx::engine
