#include "engine/model/layer_info.h"

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
