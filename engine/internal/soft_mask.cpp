#include "engine/internal/soft_mask.h"

namespace cx::engine {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class SoftMaskFunction : public torch::autograd::Function<SoftMaskFunction> {
public:
    static variable_list forward(AutogradContext* ctx, const torch::Tensor& logits, const torch::Tensor& weight,
                                 double temperature) {
        auto mask = logits * temperature;
        mask.clamp_(-kSaturatedLogit, kSaturatedLogit).sigmoid_();
        torch::threshold_(mask, kNegligibleMask, 0.0);
        ctx->save_for_backward({mask, weight});
        ctx->saved_data["temperature"] = temperature;
        return {weight * mask, mask.sum()};
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& mask = saved[0];
        const auto& weight = saved[1];
        const double temperature = ctx->saved_data["temperature"].toDouble();
        const auto& gradWeight = grads[0];
        const auto& gradSum = grads[1];
        // g_sum + g_w * w in one pass; then d sigmoid / dx = m (1 - m), exactly 0 where the mask is
        // 0 or 1, and the factor T. (Folding T into the first pass rounds differently, and that
        // was enough to flip some borderline logits of a run; this order keeps autograd's masks.)
        torch::Tensor upstream;
        if (gradWeight.defined() && gradSum.defined())
            upstream = torch::addcmul(gradSum, gradWeight, weight);
        else if (gradWeight.defined())
            upstream = gradWeight * weight;
        else if (gradSum.defined())
            upstream = gradSum.expand_as(mask).contiguous();
        else
            return {torch::Tensor(), torch::Tensor(), torch::Tensor()};
        auto grad = at::sigmoid_backward(upstream, mask).mul_(temperature);
        return {grad, torch::Tensor(), torch::Tensor()};
    }
};

}  // namespace

SoftMaskedWeight softMaskedWeight(const torch::Tensor& logits, const torch::Tensor& weight, double temperature) {
    auto out = SoftMaskFunction::apply(logits, weight, temperature);
    return {out[0], out[1]};
}

}  // namespace cx::engine
