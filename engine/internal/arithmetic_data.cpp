#include "engine/internal/arithmetic_data.h"

#include <array>

namespace cx::engine {
namespace {

// The held-out tenth of each task, fixed once so every tool and test agrees on it: a
// splitmix64 hash of the problem, independent of any random generator's state.
uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

const char* arithmeticOpName(ArithmeticOp op) { return op == ArithmeticOp::Addition ? "addition" : "multiplication"; }

std::optional<ArithmeticOp> parseArithmeticOp(const std::string& name) {
    if (name == "addition") return ArithmeticOp::Addition;
    if (name == "multiplication") return ArithmeticOp::Multiplication;
    return std::nullopt;
}

std::string arithmeticTokenText(int64_t token) {
    static const std::array<const char*, kArithmeticVocabulary> text = {"0", "1", "2", "3", "4", "5", "6",
                                                                        "7", "8", "9", "+", "*", "="};
    return token >= 0 && token < kArithmeticVocabulary ? text[size_t(token)] : "?";
}

int arithmeticAnswer(ArithmeticOp op, int a, int b) { return (op == ArithmeticOp::Addition ? a + b : a * b) % 100; }

std::vector<int64_t> arithmeticTokens(ArithmeticOp op, int a, int b) {
    const int r = arithmeticAnswer(op, a, b);
    return {a / 10, a % 10, op == ArithmeticOp::Addition ? kTokenPlus : kTokenTimes, b / 10, b % 10, kTokenEquals, r % 10};
}

bool arithmeticHeldOut(ArithmeticOp op, int a, int b) {
    return mix(uint64_t(op == ArithmeticOp::Addition ? 0 : 10000) + uint64_t(a * 100 + b)) % 10 == 0;
}

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
