#pragma once
// Attention heads as mask units. A head owns a slice of each projection of its attention block:
//   split   q, k or v alone (O = D): output rows h*D/H .. (h+1)*D/H
//   packed  q, k and v in one weight (O = 3D, GPT-2 c_attn, MultiheadAttention in_proj): the
//           head's rows in each of the three D-row thirds
//   merge   the output projection (I = D): input columns h*D/H .. (h+1)*D/H
// The role follows from the layer's shape and name, so a head count given by the user works on
// any model whose projections are linear layers.
#include <optional>
#include <string>

#include <torch/torch.h>

#include "engine/model/layer_info.h"

namespace cx::engine {

enum class HeadRole { Split, Packed, Merge };

/// The layer's role for `heads` heads; nullopt when its shape does not split into them.
std::optional<HeadRole> headRole(const LayerInfo& layer, int64_t heads);
/// Layers of one attention block share their head units: the detected attention module, or the
/// layer's parent module ("block0.attn" for "block0.attn.q").
std::string attentionGroup(const LayerInfo& layer);
/// Head index (0..H-1) of each output row (split, packed) or input column (merge).
torch::Tensor headOfSlice(const LayerInfo& layer, HeadRole role, int64_t heads);
/// A head mask (H values) as a mask broadcastable against the weight in its storage layout.
torch::Tensor headMaskForWeight(const LayerInfo& layer, const torch::Tensor& headMask);
/// The same, for the layer's bias (all ones for merge layers: their bias belongs to no head).
torch::Tensor headMaskForBias(const LayerInfo& layer, const torch::Tensor& headMask);

}  // namespace cx::engine
