#pragma once
// Arithmetic problems as tensors (see engine/data/arithmetic.h): inputs N x 7 token ids, targets N x 7
// with the next token at the answer positions and -1 (ignored) everywhere else.
#include <torch/torch.h>

#include "engine/data/arithmetic.h"

namespace cx::engine {

enum class ArithmeticSplit { Train, HeldOut, All };

struct TokenTask {
    torch::Tensor inputs;   // int64 N x T
    torch::Tensor targets;  // int64 N x T, -1 where nothing is predicted
};

TokenTask arithmeticTask(ArithmeticOp op, ArithmeticSplit split);

}  // namespace cx::engine
