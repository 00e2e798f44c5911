#pragma once
// The continuous-sparsification mask of one weight, computed once per training step for both of
// its uses: the masked weight w * sigmoid(T s) for the forward, and sum(sigmoid(T s)) for the L0
// term. One autograd node instead of two branches of a graph: the sigmoid (the costly part: an
// exp per element) is computed once, not twice, and the backward
//   dL/ds = T m (1 - m) (dL/d(w m) w) + T m (1 - m) dL/d(sum m),   m = sigmoid(T s),
// runs on the CPU as one pass over memory where autograd's graph takes six; so does the forward
// where five LibTorch ops took five (soft_mask_forward.h), and only the sum stays an op. It repeats the float
// operations of the expression trainMasks used before (a sigmoid for the weight, another for the
// L0 term) in their order, so its gradients are bit-identical to it wherever the mask is not
// saturated, and runs end with the same hard masks. (Summing the two upstream gradients before
// one sigmoid backward rounds differently, and that flipped borderline logits of a run.)
//
// The step costs the same at every temperature (tests/bench/bench_masks.cpp). Annealed towards
// T = 200 most T s lie far out, where sigmoid's exp() and the gradient m (1 - m) produce subnormal
// floats, which x86 CPUs compute on a slow microcode path unless the thread flushes them. So:
// - T s is clamped to +-kSaturatedLogit before the sigmoid: past it the sigmoid is 1 exactly in
//   float32, or below 2e-35;
// - mask values below kNegligibleMask become 0: such a weight changes no activation a float can
//   hold, and its gradient, at most T 1e-30 times the upstream one, moves no logit under Adam.
// The mask is then 0, 1 or in [1e-30, 1): never subnormal, and where it is saturated its gradient
// m (1 - m) is exactly 0. FlushDenormals (mask_training.h) still covers the rare rest.
#include <torch/torch.h>

#include "engine/masks/internal/soft_mask_forward.h"

namespace cx::engine {

struct SoftMaskedWeight {
    torch::Tensor weight;  // w * sigmoid(T s), differentiable in s
    torch::Tensor maskSum; // sum(sigmoid(T s)), differentiable in s
};

/// `logits` and `weight` of the same shape, dtype and device; the weight takes no gradient.
SoftMaskedWeight softMaskedWeight(const torch::Tensor& logits, const torch::Tensor& weight, double temperature);

/// Whether float32 CPU forwards run the one-pass kernel (soft_mask_forward.h), not LibTorch ops.
bool softMaskForwardIsFused();

}  // namespace cx::engine
