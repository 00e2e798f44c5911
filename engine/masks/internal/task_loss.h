#pragma once
// Task losses and accuracy for classifiers (logits N x C, targets N) and for sequence models
// (logits N x T x V, targets N x T with -1 where nothing is predicted). A sequence example is
// correct only when every predicted position is: with teacher forcing this equals greedy
// decoding's exact-answer accuracy.
#include <torch/torch.h>

namespace cx::engine {

constexpr int64_t kIgnoredTarget = -1;

/// Cross-entropy summed over examples (and predicted positions), or averaged over them.
torch::Tensor taskLoss(const torch::Tensor& logits, const torch::Tensor& targets, bool sum);
/// One bool per example: all its predicted positions are right.
torch::Tensor exactCorrect(const torch::Tensor& logits, const torch::Tensor& targets);

}  // namespace cx::engine
