#pragma once
// One Adam step over a chunk of float32 elements, as torch::optim::Adam (LibTorch 1.13, no weight
// decay, no AMSGrad) computes it in four ops and a few temporaries:
//   m = m * beta1 + (1 - beta1) g;   v = v * beta2 + (1 - beta2) g g;
//   d = sqrt(v) / sqrt(bc2) + eps;   p = p - (lr / bc1) m / d
// with its scalars rounded to float as LibTorch rounds them. Debian's LibTorch is compiled with
// multiply-adds contracted: (1 - beta1) g + m and ((1 - beta2) g) g + v are each one fused
// multiply-add there, in its vector loop and in its scalar tail alike, so the kernel writes them as
// such (its file is compiled with -ffp-contract=off, so nothing else is fused).
#include <cstdint>

namespace cx::engine {

struct AdamCoefficients {
    float beta1 = 0, oneMinusBeta1 = 0, beta2 = 0, oneMinusBeta2 = 0;
    float sqrtBiasCorrection2 = 0, eps = 0, negativeStepSize = 0;
};

/// One thread's chunk [begin, end) of the flattened tensors, as parallelChunks (intra_op.h) hands it out.
using AdamRange = void (*)(float* param, const float* grad, float* expAvg, float* expAvgSq, const AdamCoefficients& c,
                           int64_t begin, int64_t end);

}  // namespace cx::engine
