#include "engine/masks/internal/soft_mask.h"

#include <cstring>
#include <map>
#include <mutex>

#include "engine/core/internal/intra_op.h"
#include "engine/masks/internal/mask_kernels.h"

namespace cx::engine {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The backward's loop over contiguous float32 CPU tensors, split over LibTorch's intra-op threads.
// It computes, element by element, the float operations of the six LibTorch ops it replaces, in
// their order (this file is compiled with -ffp-contract=off, so no multiply-add is fused): the
// result is bit-identical, in one pass over memory instead of six (0.5 ms of a 5 ms step on the
// issue-18 MLP). Both it and the forward's pass (soft_mask_forward.h) are split over the threads
// as LibTorch's elementwise ops split theirs (parallelChunks), which its sigmoid's vector/scalar
// split depends on.

bool plainFloats(std::initializer_list<const torch::Tensor*> tensors) {
    for (const auto* t : tensors)
        if (!t->defined() || t->device().type() != torch::kCPU || t->scalar_type() != torch::kFloat32 || !t->is_contiguous())
            return false;
    return true;
}

// Compiled for AVX-512, AVX2 and the baseline, chosen at load time: vector lanes compute exactly
// what scalar code does.
__attribute__((target_clones("avx512f", "avx2", "default"))) void logitGradRange(const float* g, const float* w,
                                                                                 const float* m, float* o, float gradSum,
                                                                                 float t, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
        const float fromWeight = g[i] * w[i] * (1.0f - m[i]) * m[i] * t;
        const float fromSum = gradSum * (1.0f - m[i]) * m[i] * t;
        o[i] = fromWeight + fromSum;
    }
}

// sigmoid_backward(g_w * w, m) * T + sigmoid_backward(g_sum, m) * T, as autograd's two branches
// compute and accumulate it; sigmoid_backward(a, m) is a * (1 - m) * m. (The incoming gradient is
// not written over: autograd may hold it elsewhere, e.g. for retain_grad.)
torch::Tensor logitGrad(const torch::Tensor& gradWeight, const torch::Tensor& weight, float gradSum,
                        const torch::Tensor& mask, float t) {
    auto out = torch::empty_like(mask);
    const float* g = gradWeight.data_ptr<float>();
    const float* w = weight.data_ptr<float>();
    const float* m = mask.data_ptr<float>();
    float* o = out.data_ptr<float>();
    parallelChunks(mask.numel(), [&](int64_t begin, int64_t end) { logitGradRange(g, w, m, o, gradSum, t, begin, end); });
    return out;
}

// The forward kernel for the capability LibTorch's own kernels run, or none (LibTorch ops then),
// used only after it has reproduced LibTorch's ops bit for bit on a probe that covers both of
// their code paths (vector blocks and the scalar tail) and the clamp and threshold.
SoftMaskForwardRange chooseForwardKernel() {
    const SoftMaskForwardRange kernel = softMaskForwardKernel();
    if (!kernel) return nullptr;
    const int64_t n = 1000;  // 31 blocks of 32 and a tail of 8 (AVX-512), 62 of 16 and 8 (AVX2)
    auto logits = torch::linspace(-3.0, 3.0, n).mul_(torch::linspace(0.3, 7.0, n));
    auto weight = torch::linspace(-1.0, 1.0, n);
    for (float t : {1.0f, 1.7f, 40.0f, 200.0f}) {
        auto expected = (logits * t).clamp_(-kSaturatedLogit, kSaturatedLogit).sigmoid_();
        torch::threshold_(expected, kNegligibleMask, 0.0);
        auto mask = torch::empty_like(logits), masked = torch::empty_like(logits);
        kernel(logits.data_ptr<float>(), weight.data_ptr<float>(), t, mask.data_ptr<float>(), masked.data_ptr<float>(), 0,
               n);
        if (std::memcmp(mask.data_ptr<float>(), expected.data_ptr<float>(), n * sizeof(float)) != 0 ||
            !torch::equal(masked, weight * expected))
            return nullptr;
    }
    return kernel;
}

SoftMaskForwardRange forwardKernel() {
    static std::once_flag once;
    static SoftMaskForwardRange kernel = nullptr;
    std::call_once(once, [] { kernel = chooseForwardKernel(); });
    return kernel;
}

class SoftMaskFunction : public torch::autograd::Function<SoftMaskFunction> {
public:
    static variable_list forward(AutogradContext* ctx, const torch::Tensor& logits, const torch::Tensor& weight,
                                 double temperature) {
        torch::Tensor mask, masked, maskSum;
        const auto kernel = forwardKernel();
        if (kernel && plainFloats({&logits, &weight}) && logits.sizes() == weight.sizes()) {
            mask = torch::empty_like(logits);
            masked = torch::empty_like(weight);
            const float* s = logits.data_ptr<float>();
            const float* w = weight.data_ptr<float>();
            float* m = mask.data_ptr<float>();
            float* o = masked.data_ptr<float>();
            const float t = float(temperature);
            // Each chunk's sum, added in the order of the chunks: the same total on every run.
            std::mutex guard;
            std::map<int64_t, double> chunkSums;
            parallelChunks(mask.numel(), [&](int64_t begin, int64_t end) {
                const double sum = kernel(s, w, t, m, o, begin, end);
                const std::lock_guard<std::mutex> lock(guard);
                chunkSums[begin] = sum;
            });
            double total = 0.0;
            for (const auto& [begin, sum] : chunkSums) total += sum;
            maskSum = torch::empty({}, logits.options());
            maskSum.fill_(float(total));
        } else {
            mask = logits * temperature;
            mask.clamp_(-kSaturatedLogit, kSaturatedLogit).sigmoid_();
            torch::threshold_(mask, kNegligibleMask, 0.0);
            masked = weight * mask;
            maskSum = mask.sum();
        }
        ctx->save_for_backward({mask, weight});
        ctx->saved_data["temperature"] = temperature;
        return {masked, maskSum};
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

bool softMaskForwardIsFused() { return forwardKernel() != nullptr; }

SoftMaskedWeight softMaskedWeight(const torch::Tensor& logits, const torch::Tensor& weight, double temperature) {
    auto out = SoftMaskFunction::apply(logits, weight, temperature);
    return {out[0], out[1]};
}

}  // namespace cx::engine
