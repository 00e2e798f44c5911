#pragma once
// Channel-level data-flow analysis: for every layer, which source channels (model input or
// other layers' outputs) feed which of its input channels; and which layers reach the output.
#include <vector>

#include "engine/model/internal/graph_layers.h"

namespace cx::engine {

/// Fills `inputs` and `reachable` of each layer. Ops the analysis does not know are treated
/// conservatively (every output channel depends on every input channel) and named in `notes`.
void analyseChannelFlow(const std::shared_ptr<torch::jit::Graph>& graph, std::vector<FoundLayer>& layers,
                        std::vector<std::string>& notes);

}  // namespace cx::engine
