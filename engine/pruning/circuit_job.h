#pragma once
// One call from a target to a drawn circuit, as the GUI runs it in the background: score the
// kernels (ActGrad by default), prune at a sparsity, build the diagram and lay it out. The
// scores and mask files are written into a working folder, so they can be saved or reused.
#include <cstdint>
#include <string>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/diagram/diagram.h"
#include "engine/pruning/circuit_activations.h"
#include "engine/pruning/pruning.h"

namespace cx::engine {

/// One circuit search, as the Circuit tab asks for it.
struct CircuitSpec {
    std::string images;          // an image folder or safetensors file
    std::string target;          // LAYER:UNIT, or LAYER with directionFile
    std::string directionFile;   // coefficients over the target layer's channels (as `cx score --direction`)
    Criterion criterion = Criterion::ActGrad;
    Granularity granularity = Granularity::Kernel;
    std::string objective = "sum-abs";
    double sparsity = 0.1;
    bool minmax = false;
    BiasMode bias = BiasMode::Masked;
    DiagramOptions diagram;
    bool nodeImages = true;      // kernels and top-activating crops inside the vertices
};

/// The same on a model file, with its files written into a working folder.
struct FindCircuitRequest : CircuitSpec {
    std::string model;           // images empty: 256 demo shapes, written into workDir
    std::string reuseScores;     // a scores file of an earlier run with the same target and
                                 // criterion: only prune again (a new sparsity is then instant)
    std::string workDir;         // receives images.safetensors (demo shapes), scores.safetensors, mask.safetensors
};

struct FoundCircuit {
    CircuitDiagram diagram;      // laid out
    PruneReport prune;
    ActivationPairs activations;
    ScoresHandle scores;         // in memory: writeScores / writeMask save them
    MaskHandle mask;
    std::string scoresFile, maskFile, imagesFile;  // the files of findCircuit(FindCircuitRequest)
};

/// Scores (from the workspace's memory when this target, criterion and images were scored
/// before; or `scores` when given), prunes, finds the activations and draws, all in memory.
/// Progress stages: "score", "prune", "activations", "node images", "layout". Cancel between and within stages.
Result<FoundCircuit> findCircuit(Workspace& workspace, const CircuitSpec& spec, JobContext& job, ScoresHandle scores = {});
/// The same on a model file (one workspace), writing the scores and the mask into `workDir`;
/// the demo shapes first when no images are given (stage "images").
Result<FoundCircuit> findCircuit(const FindCircuitRequest& request, JobContext& job);

/// A mask's diagram at `detail` (the block overview, with a note, when that would draw more than
/// options.maxEdges), laid out (the GUI's "Open Mask"), with node images from `images`
/// (first-layer kernels only when empty; none when `nodeImages` is false). The view keeps the
/// whole circuit (`whole`) for redrawDiagram.
Result<CircuitDiagram> loadDiagram(Workspace& workspace, const Mask& mask, const DiagramOptions& options, JobContext& job,
                                   const std::string& images = "", bool nodeImages = true, const DetailSpec& detail = {});
/// The circuit behind a view drawn again at another level of detail (expand, collapse, focus),
/// laid out with node images when it has at most `picturesUpTo` units (a larger view gets none:
/// addNodeImages can add them into its layout later); too large a view is an error (diagramAtDetail).
Result<CircuitDiagram> redrawDiagram(Workspace& workspace, const CircuitDiagram& shown, const DetailSpec& detail,
                                     const DiagramOptions& options, JobContext& job, const std::string& images = "",
                                     size_t picturesUpTo = SIZE_MAX);
Result<CircuitDiagram> loadDiagram(const std::string& model, const std::string& mask, const DiagramOptions& options,
                                   JobContext& job, const std::string& images = "", bool nodeImages = true);

}  // namespace cx::engine
