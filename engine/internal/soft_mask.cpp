#include "engine/internal/soft_mask.h"

#include <ATen/Parallel.h>

namespace cx::engine {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Elementwise loops over contiguous float32 CPU tensors, split over LibTorch's intra-op threads.
// Each computes, element by element, the float operations of the LibTorch ops it replaces, in
// their order (this file is compiled with -ffp-contract=off, so no multiply-add is fused): the
// results are bit-identical, in one pass over memory instead of several.
constexpr int64_t kGrain = 32768;

bool plainFloats(std::initializer_list<const torch::Tensor*> tensors) {
    for (const auto* t : tensors)
        if (!t->defined() || t->device().type() != torch::kCPU || t->scalar_type() != torch::kFloat32 || !t->is_contiguous())
            return false;
    return true;
}

// Each loop is compiled for AVX-512, AVX2 and the baseline, chosen at load time: vector lanes
// compute exactly what scalar code does.
#define CX_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

CX_VECTOR_CLONES void scaledClampedRange(const float* s, float* o, float t, int64_t begin, int64_t end) {
    const float lo = float(-kSaturatedLogit), hi = float(kSaturatedLogit);
    for (int64_t i = begin; i < end; ++i) {
        const float x = s[i] * t;
        o[i] = x < lo ? lo : (x > hi ? hi : x);
    }
}

CX_VECTOR_CLONES void thresholdedProductRange(float* m, const float* w, float* o, int64_t begin, int64_t end) {
    const float negligible = float(kNegligibleMask);
    for (int64_t i = begin; i < end; ++i) {
        const float v = m[i] <= negligible ? 0.0f : m[i];
        m[i] = v;
        o[i] = w[i] * v;
    }
}

CX_VECTOR_CLONES void logitGradRange(const float* g, const float* w, const float* m, float* o, float gradSum, float t,
                                     int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
        const float fromWeight = g[i] * w[i] * (1.0f - m[i]) * m[i] * t;
        const float fromSum = gradSum * (1.0f - m[i]) * m[i] * t;
        o[i] = fromWeight + fromSum;
    }
}

// clamp(s * T, -bound, bound): `logits * T` then `clamp_`.
torch::Tensor scaledClamped(const torch::Tensor& logits, float t) {
    auto out = torch::empty_like(logits);
    const float* s = logits.data_ptr<float>();
    float* o = out.data_ptr<float>();
    at::parallel_for(0, logits.numel(), kGrain, [&](int64_t begin, int64_t end) { scaledClampedRange(s, o, t, begin, end); });
    return out;
}

// `threshold_(m, kNegligibleMask, 0)` then `weight * m`.
torch::Tensor thresholdedProduct(torch::Tensor& mask, const torch::Tensor& weight) {
    auto out = torch::empty_like(weight);
    float* m = mask.data_ptr<float>();
    const float* w = weight.data_ptr<float>();
    float* o = out.data_ptr<float>();
    at::parallel_for(0, mask.numel(), kGrain, [&](int64_t begin, int64_t end) { thresholdedProductRange(m, w, o, begin, end); });
    return out;
}

// sigmoid_backward(g_w * w, m) * T + sigmoid_backward(g_sum, m) * T, as autograd's two branches
// compute and accumulate it; sigmoid_backward(a, m) is a * (1 - m) * m.
torch::Tensor logitGrad(const torch::Tensor& gradWeight, const torch::Tensor& weight, float gradSum,
                        const torch::Tensor& mask, float t) {
    auto out = torch::empty_like(mask);
    const float* g = gradWeight.data_ptr<float>();
    const float* w = weight.data_ptr<float>();
    const float* m = mask.data_ptr<float>();
    float* o = out.data_ptr<float>();
    at::parallel_for(0, mask.numel(), kGrain,
                     [&](int64_t begin, int64_t end) { logitGradRange(g, w, m, o, gradSum, t, begin, end); });
    return out;
}

class SoftMaskFunction : public torch::autograd::Function<SoftMaskFunction> {
public:
    static variable_list forward(AutogradContext* ctx, const torch::Tensor& logits, const torch::Tensor& weight,
                                 double temperature) {
        const bool loops = plainFloats({&logits, &weight});
        auto mask = loops ? scaledClamped(logits, float(temperature))
                          : (logits * temperature).clamp_(-kSaturatedLogit, kSaturatedLogit);
        mask.sigmoid_();
        torch::Tensor masked;
        if (loops) {
            masked = thresholdedProduct(mask, weight);
        } else {
            torch::threshold_(mask, kNegligibleMask, 0.0);
            masked = weight * mask;
        }
        ctx->save_for_backward({mask, weight});
        ctx->saved_data["temperature"] = temperature;
        return {masked, mask.sum()};
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& mask = saved[0];
        const auto& weight = saved[1];
        const double temperature = ctx->saved_data["temperature"].toDouble();
        const auto gradWeight = grads[0].defined() ? grads[0].contiguous() : grads[0];
        const auto& gradSum = grads[1];
        if (gradSum.defined() && plainFloats({&gradWeight, &weight, &mask}) && gradSum.scalar_type() == torch::kFloat32)
            return {logitGrad(gradWeight, weight, gradSum.item<float>(), mask, float(temperature)), torch::Tensor(),
                    torch::Tensor()};
        // The same in LibTorch ops (other devices and dtypes), in the same order.
        torch::Tensor grad;
        if (gradWeight.defined()) grad = at::sigmoid_backward(gradWeight * weight, mask).mul_(temperature);
        if (gradSum.defined()) {
            auto fromSum = at::sigmoid_backward(gradSum.expand_as(mask), mask).mul_(temperature);
            grad = grad.defined() ? grad.add_(fromSum) : fromSum;
        }
        return {grad, torch::Tensor(), torch::Tensor()};
    }
};

}  // namespace

SoftMaskedWeight softMaskedWeight(const torch::Tensor& logits, const torch::Tensor& weight, double temperature) {
    auto out = SoftMaskFunction::apply(logits, weight, temperature);
    return {out[0], out[1]};
}

}  // namespace cx::engine
