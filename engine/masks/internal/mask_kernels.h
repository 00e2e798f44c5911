#pragma once
// The CPU kernels of mask training that replace chains of LibTorch ops with one pass over memory,
// each bit-identical to the ops it replaces. LibTorch's float kernels differ by the capability it
// runs (AVX-512 or AVX2: vector width, SLEEF's exp, where the scalar tail starts), so each kernel
// is built once per capability (mask_kernels_avx2.cpp, mask_kernels_avx512.cpp, with LibTorch's
// own flags and vector types) and runs only for the capability LibTorch runs, and only once it has
// reproduced LibTorch's ops on a probe (soft_mask.cpp, mask_adam.cpp).
#include <cstdint>

#include "engine/masks/internal/adam_step.h"
#include "engine/masks/internal/soft_mask_forward.h"

namespace cx::engine {

enum class KernelCapability { None, Avx2, Avx512 };

/// The capability LibTorch's own CPU kernels run here, where this build has kernels for it.
/// LibTorch does not export its choice; its build summary states it ("CPU capability usage: ...").
KernelCapability libtorchKernelCapability();

/// This build's kernels for LibTorch's capability (null where there are none: LibTorch ops then).
/// Not yet probed: each caller checks its kernel once against the ops it replaces.
SoftMaskForwardRange softMaskForwardKernel();
AdamRange adamKernel();

namespace mask_kernels_avx512 {
double softMaskForwardRange(const float* logits, const float* weight, float temperature, float* mask, float* masked,
                            int64_t begin, int64_t end);
void adamRange(float* param, const float* grad, float* expAvg, float* expAvgSq, const AdamCoefficients& c, int64_t begin,
               int64_t end);
}  // namespace mask_kernels_avx512

namespace mask_kernels_avx2 {
double softMaskForwardRange(const float* logits, const float* weight, float temperature, float* mask, float* masked,
                            int64_t begin, int64_t end);
void adamRange(float* param, const float* grad, float* expAvg, float* expAvgSq, const AdamCoefficients& c, int64_t begin,
               int64_t end);
}  // namespace mask_kernels_avx2

}  // namespace cx::engine
