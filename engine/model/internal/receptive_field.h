#pragma once
// Receptive fields from the forward graph: which input pixels reach one output position of each
// 2-d convolution, followed through convolutions, poolings, paddings and position-wise ops.
#include <string>
#include <vector>

#include "engine/model/internal/graph_layers.h"

namespace cx::engine {

/// Fills `field` of each layer. Ops that move or mix positions in a way the walk does not follow
/// (upsampling, reshapes before a convolution, adaptive pooling to more than one cell, ...)
/// leave the fields after them Unknown with the op named; linear layers get Whole.
void analyseReceptiveFields(const std::shared_ptr<torch::jit::Graph>& graph, std::vector<FoundLayer>& layers);

}  // namespace cx::engine
