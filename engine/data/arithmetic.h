#pragma once
// The demo transformer's tasks: two-digit addition and multiplication modulo 100 (the last two
// digits of the result), as token sequences. A problem "37*45" is written
//   3 7 * 4 5 = r0 r1      (r0 = ones digit, r1 = tens digit: the answer reversed, as carries flow)
// The model reads the first 7 tokens and predicts the next token at every position; the answer
// tokens are predicted at the positions of "=" and r0. Every problem a, b in 0..99 exists once
// per task; a fixed 10% of them (chosen by a fixed seed) is held out from training.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cx::engine {

enum class ArithmeticOp { Addition, Multiplication };

const char* arithmeticOpName(ArithmeticOp op);  // "addition", "multiplication"
std::optional<ArithmeticOp> parseArithmeticOp(const std::string& name);

constexpr int64_t kTokenPlus = 10, kTokenTimes = 11, kTokenEquals = 12;
constexpr int64_t kArithmeticVocabulary = 13;   // digits 0-9, '+', '*', '='
constexpr int64_t kArithmeticInputLength = 7;   // a1 a0 op b1 b0 = r0
constexpr int64_t kArithmeticAnswerPosition = 5;  // first position whose next token is an answer digit

/// "0".."9", "+", "*", "="
std::string arithmeticTokenText(int64_t token);
/// The 7 input tokens of a problem (the answer's ones digit included: teacher forcing).
std::vector<int64_t> arithmeticTokens(ArithmeticOp op, int a, int b);
int arithmeticAnswer(ArithmeticOp op, int a, int b);  // (a op b) mod 100
/// Whether problem (a, b) of a task is in the held-out tenth.
bool arithmeticHeldOut(ArithmeticOp op, int a, int b);

}  // namespace cx::engine
