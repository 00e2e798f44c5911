#include "engine/model/layer_info.h"

#include <algorithm>

namespace cx::engine {

const char* layerKindName(LayerKind kind) {
    switch (kind) {
        case LayerKind::Conv1d: return "conv1d";
        case LayerKind::Conv2d: return "conv2d";
        case LayerKind::Linear: return "linear";
        case LayerKind::TransposedLinear: return "linear_t";
    }
    return "?";
}

const char* flowModeName(FlowMode mode) {
    switch (mode) {
        case FlowMode::Identity: return "identity";
        case FlowMode::Expand: return "expand";
        case FlowMode::Dense: return "dense";
    }
    return "?";
}

void ReceptiveField::box(int64_t i, int64_t j, int64_t h, int64_t w, int64_t out[4]) const {
    if (kind != Kind::Exact) {
        out[0] = 0, out[1] = 0, out[2] = h - 1, out[3] = w - 1;
        return;
    }
    const int64_t top = start[0] + i * jump[0], left = start[1] + j * jump[1];
    out[0] = std::clamp<int64_t>(top, 0, h - 1);
    out[1] = std::clamp<int64_t>(left, 0, w - 1);
    out[2] = std::clamp<int64_t>(top + size[0] - 1, 0, h - 1);
    out[3] = std::clamp<int64_t>(left + size[1] - 1, 0, w - 1);
}

int ModelSummary::indexOf(const std::string& name) const {
    for (size_t i = 0; i < layers.size(); ++i)
        if (layers[i].name == name) return static_cast<int>(i);
    return -1;
}

std::string ModelSummary::sourceName(int source) const {
    if (source == kModelInput || source < 0 || source >= static_cast<int>(layers.size())) return "input";
    return layers[static_cast<size_t>(source)].name;
}

}  // namespace cx::engine
