// The body of one capability's Adam kernel (adam_step.h): included by mask_kernels_avx512.cpp and
// mask_kernels_avx2.cpp inside the namespace CX_MASK_KERNELS_NAMESPACE. No include guard on purpose.
#include <ATen/cpu/vec/vec.h>

#include <cmath>

#include "engine/masks/internal/adam_step.h"

namespace cx::engine::CX_MASK_KERNELS_NAMESPACE {

void adamRange(float* param, const float* grad, float* expAvg, float* expAvgSq, const AdamCoefficients& c, int64_t begin,
               int64_t end) {
    using Vec = at::vec::Vectorized<float>;
    const Vec beta1(c.beta1), a1(c.oneMinusBeta1), beta2(c.beta2), a2(c.oneMinusBeta2);
    const Vec sqrtBc2(c.sqrtBiasCorrection2), eps(c.eps), negativeStep(c.negativeStepSize);
    auto vectorStep = [&](int64_t i) {
        const Vec g = Vec::loadu(grad + i);
        const Vec m = at::vec::fmadd(g, a1, Vec::loadu(expAvg + i) * beta1);    // mul_, add_ (alpha: a multiply-add)
        const Vec v = at::vec::fmadd(a2 * g, g, Vec::loadu(expAvgSq + i) * beta2);  // mul_, addcmul_
        const Vec d = v.sqrt() / sqrtBc2 + eps;                                  // sqrt, div, add_
        const Vec p = Vec::loadu(param + i) + negativeStep * m / d;              // addcdiv_
        m.store(expAvg + i);
        v.store(expAvgSq + i);
        p.store(param + i);
    };
    // LibTorch's vectorized_loop: blocks of two vectors, then its scalar loop for the rest.
    const int64_t n = end - begin;
    int64_t i = 0;
    for (; i <= n - 2 * Vec::size(); i += 2 * Vec::size()) {
        vectorStep(begin + i);
        vectorStep(begin + i + Vec::size());
    }
    for (int64_t k = begin + i; k < end; ++k) {
        const float g = grad[k];
        const float m = std::fma(c.oneMinusBeta1, g, expAvg[k] * c.beta1);
        const float v = std::fma(c.oneMinusBeta2 * g, g, expAvgSq[k] * c.beta2);
        const float d = std::sqrt(v) / c.sqrtBiasCorrection2 + c.eps;
        param[k] = param[k] + c.negativeStepSize * m / d;
        expAvg[k] = m;
        expAvgSq[k] = v;
    }
}

}  // namespace cx::engine::CX_MASK_KERNELS_NAMESPACE
