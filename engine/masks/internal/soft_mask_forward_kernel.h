// The body of one capability's soft-mask forward kernel (soft_mask_forward.h): included by
// mask_kernels_avx512.cpp and mask_kernels_avx2.cpp, each compiled with LibTorch's flags and
// CPU_CAPABILITY macro for that capability, inside the namespace CX_MASK_KERNELS_NAMESPACE.
// No include guard on purpose.
#include <ATen/cpu/vec/vec.h>

#include <algorithm>
#include <cmath>

#include "engine/masks/internal/soft_mask_forward.h"

namespace cx::engine::CX_MASK_KERNELS_NAMESPACE {

double softMaskForwardRange(const float* logits, const float* weight, float temperature, float* mask, float* masked,
                    int64_t begin, int64_t end) {
    using Vec = at::vec::Vectorized<float>;
    const float lo = float(-kSaturatedLogit), hi = float(kSaturatedLogit), negligible = float(kNegligibleMask);
    const Vec t(temperature), vlo(lo), vhi(hi), zero(0.0f), one(1.0f), vnegligible(negligible);
    const Vec vone(kSigmoidIsOne), vzero(kSigmoidIsNegligible);
    const int allLanes = (1 << Vec::size()) - 1;
    Vec partial(0.0f);  // float lanes, added into `sum` every kFlush blocks so that no lane grows large
    double sum = 0.0;
    constexpr int kFlush = 64;
    auto vectorStep = [&](int64_t i) {
        const Vec x = at::vec::clamp(Vec::loadu(logits + i) * t, vlo, vhi);
        Vec m;
        if (((x > vzero) & (x < vone)).zero_mask() == allLanes) {
            // Every lane saturated (most of them, annealed): the value is exactly 1 or 0 whatever
            // exp() returns, so skip it.
            m = Vec::blendv(zero, one, x >= vone);
        } else {
            // LibTorch's vectorised sigmoid, operation for operation, then the threshold.
            m = ((zero - x).exp() + one).reciprocal();
            m = Vec::blendv(m, zero, m <= vnegligible);
        }
        m.store(mask + i);
        (Vec::loadu(weight + i) * m).store(masked + i);
        partial = partial + m;
    };
    // LibTorch's vectorized_loop: blocks of two vectors, then its scalar loop for the rest.
    const int64_t n = end - begin;
    int64_t i = 0;
    for (int blocks = 0; i <= n - 2 * Vec::size(); i += 2 * Vec::size()) {
        vectorStep(begin + i);
        vectorStep(begin + i + Vec::size());
        if (++blocks == kFlush) {
            float lanes[Vec::size()];
            partial.store(lanes);
            for (float v : lanes) sum += v;
            partial = Vec(0.0f);
            blocks = 0;
        }
    }
    float lanes[Vec::size()];
    partial.store(lanes);
    for (float v : lanes) sum += v;
    for (int64_t k = begin + i; k < end; ++k) {
        const float x = std::min(std::max(logits[k] * temperature, lo), hi);
        float m = 1.0f / (1.0f + std::exp(-x));
        if (m <= negligible) m = 0.0f;
        mask[k] = m;
        masked[k] = weight[k] * m;
        sum += m;
    }
    return sum;
}

}  // namespace cx::engine::CX_MASK_KERNELS_NAMESPACE
