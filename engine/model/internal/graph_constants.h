#pragma once
// Constant operands of graph nodes, as the graph analyses read them.
#include <cstdint>
#include <optional>
#include <vector>

#include <torch/csrc/jit/ir/ir.h>

namespace cx::engine {

/// An int constant.
std::optional<int64_t> constInt(torch::jit::Value* value);
/// An int list given as a constant, one int, or a list of constants (traced models build them).
std::optional<std::vector<int64_t>> constIntList(torch::jit::Value* value);

}  // namespace cx::engine
