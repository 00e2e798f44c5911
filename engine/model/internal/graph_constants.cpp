#include "engine/model/internal/graph_constants.h"

#include <torch/csrc/jit/ir/constants.h>

namespace cx::engine {

std::optional<int64_t> constInt(torch::jit::Value* value) {
    auto iv = torch::jit::toIValue(value);
    if (iv && iv->isInt()) return iv->toInt();
    return std::nullopt;
}

std::optional<std::vector<int64_t>> constIntList(torch::jit::Value* value) {
    if (auto iv = torch::jit::toIValue(value)) {
        if (iv->isIntList()) return iv->toIntVector();
        if (iv->isInt()) return std::vector<int64_t>{iv->toInt()};
        return std::nullopt;
    }
    if (value->node()->kind() != c10::prim::ListConstruct) return std::nullopt;
    std::vector<int64_t> out;
    for (torch::jit::Value* item : value->node()->inputs()) {
        auto i = constInt(item);
        if (!i) return std::nullopt;
        out.push_back(*i);
    }
    return out;
}

}  // namespace cx::engine
