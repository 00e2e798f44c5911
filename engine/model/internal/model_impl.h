#pragma once
// Torch-side state of a loaded model, for engine modules only (never included by Qt code).
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <torch/script.h>
#include <torch/csrc/jit/ir/ir.h>

#include "engine/model/model.h"

namespace cx::engine {

struct Model::Impl {
    torch::jit::Module module;                    // the user's model, eval mode, never modified
    std::shared_ptr<torch::jit::Graph> graph;     // inlined, mutation-free copy of forward
    std::vector<torch::jit::Node*> layerNodes;    // parallel to summary.layers
    std::map<std::string, torch::Tensor> params;  // parameter path -> tensor (shared storage)
    ModelSummary summary;
    std::mutex deviceMutex;                                  // guards deviceCopies
    std::map<std::string, torch::jit::Module> deviceCopies;  // "cuda" -> a moved deep copy
    std::map<std::string, std::map<std::string, torch::Tensor>> deviceParams;  // "cuda" -> its params

    /// Position of a node in a depth-first walk of `graph`; identical in any copy of it.
    std::vector<torch::jit::Node*> nodeOrder() const;
    const torch::Tensor& param(const std::string& path) const;
};

/// Every node of the graph, blocks included, in a depth-first order that a copy reproduces.
std::vector<torch::jit::Node*> flattenNodes(torch::jit::Block* block);

/// Parameter path that a value reads ("features.6.weight"), following prim::GetAttr back to
/// the graph's self input; empty when the value is not a module attribute.
std::string attributePath(const torch::jit::Value* value);

}  // namespace cx::engine
