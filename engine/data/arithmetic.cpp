#include "engine/data/arithmetic.h"

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

}  // namespace cx::engine
