#pragma once
// Building extended circuit diagrams from masks (the types: diagram_types.h; layout and export:
// diagram_layout.h; vertex pictures: node_images.h).
#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/diagram/diagram_types.h"
#include "engine/model/workspace.h"

namespace cx::engine {

/// Nodes and edges of a mask file's whole circuit on a model, every kept kernel (at any size: the
/// levels of detail in diagram_detail.h make drawable views of it); edge saliency from the mask file's
/// scores, or from `scoresPath` (a `cx score` file), or 1 when neither has scores (learned masks).
/// The target comes from the mask's metadata; without one, the last masked layer's kept units.
/// The same on an open model, for a mask in memory (`scores` may be null).
Result<CircuitDiagram> buildDiagram(Workspace& workspace, const Mask& mask, const Scores* scores, const DiagramOptions& options);
Result<CircuitDiagram> buildDiagram(const std::string& modelPath, const std::string& maskPath,
                                    const std::string& scoresPath, const DiagramOptions& options);

}  // namespace cx::engine
