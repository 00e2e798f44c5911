#pragma once
// One call from a target to a drawn circuit, as the GUI runs it in the background: score the
// kernels (ActGrad by default), prune at a sparsity, build the diagram and lay it out. The
// scores and mask files are written into a working folder, so they can be saved or reused.
#include <string>

#include "engine/diagram.h"
#include "engine/error.h"
#include "engine/job.h"
#include "engine/pruning.h"

namespace cx::engine {

struct FindCircuitRequest {
    std::string model;
    std::string images;          // an image folder or safetensors file; empty: 256 demo shapes
    std::string target;          // LAYER:UNIT
    std::string criterion = "actgrad";
    double sparsity = 0.1;
    std::string workDir;         // receives images.safetensors (demo shapes), scores.safetensors, mask.safetensors
    DiagramOptions diagram;
};

struct FoundCircuit {
    CircuitDiagram diagram;      // laid out
    PruneReport prune;
    std::string scoresFile, maskFile;
};

/// Progress stages: "images", "score", "prune", "layout". Cancel between and within stages.
Result<FoundCircuit> findCircuit(const FindCircuitRequest& request, JobContext& job);

/// A mask file's diagram, laid out (the GUI's "Open Mask").
Result<CircuitDiagram> loadDiagram(const std::string& model, const std::string& mask, const DiagramOptions& options,
                                   JobContext& job);

}  // namespace cx::engine
