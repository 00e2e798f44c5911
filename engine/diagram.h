#pragma once
// Building, laying out and exporting extended circuit diagrams (the types: diagram_types.h).
#include "engine/error.h"
#include "engine/job.h"
#include "engine/diagram_types.h"
#include "engine/workspace.h"

namespace cx::engine {

/// Nodes and edges of a mask file's circuit on a model; edge saliency from the mask file's
/// scores, or from `scoresPath` (a `cx score` file), or 1 when neither has scores (learned masks).
/// The target comes from the mask's metadata; without one, the last masked layer's kept units.
/// The same on an open model, for a mask in memory (`scores` may be null).
Result<CircuitDiagram> buildDiagram(Workspace& workspace, const Mask& mask, const Scores* scores, const DiagramOptions& options);
Result<CircuitDiagram> buildDiagram(const std::string& modelPath, const std::string& maskPath,
                                    const std::string& scoresPath, const DiagramOptions& options);

/// Fills the nodes' images: the first layer's RGB (or grey) kernels, and for deeper units the
/// receptive-field crop of their top-activating image among the first `maxImages` of `images`
/// (found by one probed forward pass; the crop is where the unit's input gradient is non-zero).
/// Models whose input is not a 1- or 3-channel image get none. `images` empty: kernels only.
/// Top activations are cached in the workspace per image file and layer, so re-pruning is cheap.
Status addNodeImages(CircuitDiagram& diagram, Workspace& workspace, const std::string& images, JobContext& job,
                     int64_t maxImages = 256);
Status addNodeImages(CircuitDiagram& diagram, const std::string& modelPath, const std::string& images, JobContext& job,
                     int64_t maxImages = 256);

/// Graphviz `dot` layout (the library, not a subprocess). Every Graphviz call in the process is
/// serialised. Cancel is honoured before the layout starts (dot itself cannot be interrupted).
Status layoutDiagram(CircuitDiagram& diagram, const DiagramOptions& options, JobContext& job);

/// DOT text of the diagram: ranks, edge widths from saliency, colours from sign balance.
std::string diagramDot(const CircuitDiagram& diagram, const DiagramOptions& options);

/// Writes SVG, PNG (at `dpi`), PDF or DOT, chosen by the file's extension; atomically.
Status exportDiagram(const CircuitDiagram& diagram, const DiagramOptions& options, const std::string& path, double dpi = 96);

}  // namespace cx::engine
