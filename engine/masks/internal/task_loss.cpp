#include "engine/masks/internal/task_loss.h"

namespace cx::engine {

torch::Tensor taskLoss(const torch::Tensor& logits, const torch::Tensor& targets, bool sum) {
    auto flat = logits.reshape({-1, logits.size(-1)});
    return torch::nll_loss(torch::log_softmax(flat, -1), targets.reshape({-1}), {},
                           sum ? at::Reduction::Sum : at::Reduction::Mean, kIgnoredTarget);
}

torch::Tensor exactCorrect(const torch::Tensor& logits, const torch::Tensor& targets) {
    auto right = logits.argmax(-1).eq(targets) | targets.eq(kIgnoredTarget);
    return targets.dim() == 1 ? right : right.flatten(1).all(1);
}

}  // namespace cx::engine
