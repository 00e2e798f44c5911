#pragma once
// Overlap of two unit masks on one model, per layer, per tensor, or per block: each attention
// head (its slices of the block's q, k, v and output projections) and each other module (an
// MLP: its fc and proj layers together), as in seed 000 Figure 1.
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/core/error.h"
#include "engine/core/options.h"
#include "engine/masks/internal/ablation.h"
#include "engine/model/model.h"

namespace cx::engine {


/// Rows in model order. A layer one mask lacks is absent there (OverlapRow::absentIn), not kept. At block level an
/// attention layer's units are split by head where the grid allows it (weights, kernels,
/// heads, q/k/v neurons); an output projection's neurons span all heads and form their own row.
std::vector<OverlapRow> maskOverlapBy(const Model& model, const std::map<int, torch::Tensor>& a,
                                      const std::map<int, torch::Tensor>& b, Granularity granularity, OverlapBy by);

}  // namespace cx::engine
