#include "engine/core/internal/cancel_points.h"

#include <stdexcept>

#include <torch/library.h>

#include "engine/core/job.h"

namespace cx::engine {
namespace {

void cancelPoint() {
    if (threadInterrupted()) throw std::runtime_error("cancelled");
}

// CONSERVATIVE alias analysis marks the call as having side effects, so that dead-code
// elimination keeps it though it has no inputs and no outputs.
TORCH_LIBRARY(cx, m) { m.def(torch::schema("cx::cancel_point() -> ()", c10::AliasAnalysisKind::CONSERVATIVE), &cancelPoint); }

int addToBlock(torch::jit::Graph& graph, torch::jit::Block* block) {
    int added = 0;
    for (torch::jit::Node* node : block->nodes()) {
        for (torch::jit::Block* inner : node->blocks()) added += addToBlock(graph, inner);
        if (node->kind() == c10::prim::Loop) {
            torch::jit::Node* point = graph.create(c10::Symbol::fromQualString("cx::cancel_point"), 0);
            node->blocks()[0]->prependNode(point);
            ++added;
        }
    }
    return added;
}

}  // namespace

int addCancelPoints(torch::jit::Graph& graph) { return addToBlock(graph, graph.block()); }

}  // namespace cx::engine
