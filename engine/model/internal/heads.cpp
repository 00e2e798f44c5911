#include "engine/model/internal/heads.h"

namespace cx::engine {
namespace {

bool isOutputProjectionName(std::string name) {
    name = name.substr(0, name.find('#'));  // "attn.out_proj#2": a second use of the same weight
    const auto dot = name.rfind('.');
    const std::string last = dot == std::string::npos ? name : name.substr(dot + 1);
    for (const char* n : {"o", "out", "out_proj", "o_proj", "c_proj", "dense"})
        if (last == n) return true;
    return false;
}

}  // namespace

std::optional<HeadRole> headRole(const LayerInfo& l, int64_t heads) {
    if (heads < 1 || l.isConv()) return std::nullopt;
    const int64_t out = l.outChannels, in = l.inChannels;
    if (isOutputProjectionName(l.name) && in % heads == 0) return HeadRole::Merge;
    if (out == 3 * in && in % heads == 0) return HeadRole::Packed;
    if (out % heads == 0) return HeadRole::Split;
    return std::nullopt;
}

std::string attentionGroup(const LayerInfo& l) {
    if (!l.attention.empty()) return l.attention;
    const auto dot = l.name.rfind('.');
    return dot == std::string::npos ? std::string{} : l.name.substr(0, dot);
}

torch::Tensor headOfSlice(const LayerInfo& l, HeadRole role, int64_t heads) {
    const int64_t size = role == HeadRole::Merge ? l.inChannels : l.outChannels;
    const int64_t width = role == HeadRole::Packed ? size / 3 / heads : size / heads;
    auto index = torch::arange(size, torch::kInt64);
    if (role == HeadRole::Packed) index = index.remainder(size / 3);
    return index.div(width, "floor");
}

torch::Tensor headMaskForWeight(const LayerInfo& l, const torch::Tensor& headMask) {
    const int64_t heads = headMask.size(0);
    const auto role = headRole(l, heads);
    TORCH_CHECK(role, "layer ", l.name, " does not split into ", heads, " heads");
    auto perSlice = headMask.index_select(0, headOfSlice(l, *role, heads));
    // Output-major grid: rows for split/packed, columns for merge; transposed storage flips it.
    auto grid = *role == HeadRole::Merge ? perSlice.unsqueeze(0) : perSlice.unsqueeze(1);
    return l.kind == LayerKind::TransposedLinear ? grid.t() : grid;
}

torch::Tensor headMaskForBias(const LayerInfo& l, const torch::Tensor& headMask) {
    const int64_t heads = headMask.size(0);
    const auto role = headRole(l, heads);
    TORCH_CHECK(role, "layer ", l.name, " does not split into ", heads, " heads");
    if (*role == HeadRole::Merge) return torch::ones({l.outChannels}, headMask.options());
    return headMask.index_select(0, headOfSlice(l, *role, heads));
}

}  // namespace cx::engine
