#pragma once
// The headless demo's circuit: seed 002 in miniature on the demo CNN's curve unit.
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/model/workspace.h"

namespace cx::engine {

struct DemoCircuitOptions {
    std::string target = "features.conv4:27";  // the curve unit
    double sparsity = 0.1;                      // the circuit drawn
    int visSteps = 512;                         // feature visualisation steps
    int64_t scoringImages = 128;                // of the evaluation set
};

/// Into `outDir`: the target's preservation curves (curves.csv, curves.svg: |r| over sparsity for
/// ActGrad, SNIP, magnitude and random), its ActGrad circuit at the sparsity (circuit_mask.safetensors),
/// that circuit's diagram with each vertex's feature visualisation w.r.t. the circuit
/// (circuit.svg, circuit.png), the target's visualisation in the model and in the circuit
/// (target_model.png, target_circuit.png) and index.md linking them. Appends the files to `files`.
Status writeDemoCircuit(Workspace& workspace, const std::string& imagesPath, const std::string& outDir,
                        const DemoCircuitOptions& options, std::vector<std::string>& files, JobContext& job);

}  // namespace cx::engine
