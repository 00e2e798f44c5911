#pragma once
// The headless demo (what `packaging/dev.sh run` does without a display, and `cx demo run`).
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/demo/demo_circuit.h"

namespace cx::engine {

struct DemoRunReport {
    double accuracy = 0.0;                   // on freshly drawn held-out shapes
    int64_t images = 0;
    std::vector<std::string> files;          // everything written, in order
    std::vector<std::string> topUnits;       // per conv layer: its most active unit
};

/// Loads the demo model, draws an evaluation set of shapes, writes sample PNGs, the set as a
/// safetensors image file, the model's layer table, each conv layer's per-unit mean
/// activation (a probed, truncated forward) and the accuracy into `outDir` (created); then the
/// curve unit's circuit, curves, diagram with visualisations and index.md (demo_circuit.h).
Result<DemoRunReport> runHeadlessDemo(const std::string& modelPath, const std::string& outDir, JobContext& job,
                                      const DemoCircuitOptions& circuit = {});

/// Writes `count` shapes images from `seed` as a safetensors file, or as PNG files in class
/// sub-folders when `out` does not end in .safetensors.
Status writeShapesImages(const std::string& out, int64_t count, uint64_t seed);

}  // namespace cx::engine
