#pragma once
// Finds the prunable layers (convolution, linear, weight matmul) of an inlined forward graph.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <torch/script.h>
#include <torch/csrc/jit/ir/ir.h>

#include "engine/model/layer_info.h"

namespace cx::engine {

struct FoundLayer {
    torch::jit::Node* node = nullptr;
    LayerInfo info;
};

/// Layers in graph order. `params` maps parameter paths to tensors (for shapes).
/// Weight tensors used by several ops give one layer per use ("name", "name#2", ...).
std::vector<FoundLayer> findLayers(const std::shared_ptr<torch::jit::Graph>& graph,
                                   const std::map<std::string, torch::Tensor>& params,
                                   std::vector<std::string>& notes);

/// The data input of a layer node (operand 0, or operand 1 for addmm).
torch::jit::Value* layerDataInput(torch::jit::Node* node);

}  // namespace cx::engine
