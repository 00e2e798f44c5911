#pragma once
// The soft mask's forward in one pass over memory, bit-identical to the LibTorch ops it replaces:
//   m = threshold(sigmoid(clamp(s * T, -80, 80)), 1e-30, 0),   out = w * m.
// All but the sigmoid are exact float operations. LibTorch's sigmoid computes 1 / (exp(-x) + 1)
// with SLEEF's vector exp in blocks of two vectors and with std::exp in the tail of each thread's
// chunk; the kernels here repeat that split, with LibTorch's own vector types built for the
// capability LibTorch runs (AVX-512 or AVX2), so every element meets the same exp.
#include <cstdint>

namespace cx::engine {

// The clamp and the threshold of soft_mask.h, where their reasons are.
constexpr double kSaturatedLogit = 80.0;
constexpr double kNegligibleMask = 1e-30;
// Past these (after the clamp) the sigmoid is exactly 1, or below kNegligibleMask (so 0), for any
// exp() within a few ulps: exp(-20) < 2^-28 vanishes beside 1, and 1 / (exp(70) + 1) < 4e-31.
constexpr float kSigmoidIsOne = 20.0f;
constexpr float kSigmoidIsNegligible = -70.0f;

/// One thread's chunk [begin, end) of the flattened tensors, as parallelChunks (intra_op.h) hands it out;
/// returns the sum of the chunk's mask values.
using SoftMaskForwardRange = double (*)(const float* logits, const float* weight, float temperature, float* mask,
                                      float* masked, int64_t begin, int64_t end);

}  // namespace cx::engine
