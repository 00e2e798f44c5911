#include "engine/data/internal/arithmetic_data.h"

namespace cx::engine {

TokenTask arithmeticTask(ArithmeticOp op, ArithmeticSplit split) {
    std::vector<int64_t> inputs, targets;
    int64_t n = 0;
    for (int a = 0; a < 100; ++a)
        for (int b = 0; b < 100; ++b) {
            const bool heldOut = arithmeticHeldOut(op, a, b);
            if ((split == ArithmeticSplit::Train && heldOut) || (split == ArithmeticSplit::HeldOut && !heldOut)) continue;
            const auto tokens = arithmeticTokens(op, a, b);
            inputs.insert(inputs.end(), tokens.begin(), tokens.end());
            std::vector<int64_t> next(kArithmeticInputLength, -1);
            const int r = arithmeticAnswer(op, a, b);
            next[kArithmeticAnswerPosition] = r % 10;
            next[kArithmeticAnswerPosition + 1] = r / 10;
            targets.insert(targets.end(), next.begin(), next.end());
            ++n;
        }
    auto opts = torch::TensorOptions().dtype(torch::kInt64);
    return {torch::tensor(inputs, opts).view({n, kArithmeticInputLength}),
            torch::tensor(targets, opts).view({n, kArithmeticInputLength})};
}

}  // namespace cx::engine
