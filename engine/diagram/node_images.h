#pragma once
// The pictures inside circuit diagrams' vertices and the Units list: first-layer kernels, and
// deeper units' receptive-field crops of their top-activating images (the type: node_image.h).
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/diagram/diagram_types.h"
#include "engine/diagram/node_image.h"
#include "engine/model/workspace.h"

namespace cx::engine {

/// Fills the nodes' images: the first layer's RGB (or grey) kernels, and for deeper units the
/// receptive-field crop of their top-activating image among the first `maxImages` of `images`
/// (found by one probed forward pass; the crop is where the unit's input gradient is non-zero).
/// Models whose input is not a 1- or 3-channel image get none. `images` empty: kernels only.
/// Top activations are cached in the workspace per image file and layer, so re-pruning is cheap.
Status addNodeImages(CircuitDiagram& diagram, Workspace& workspace, const std::string& images, JobContext& job,
                     int64_t maxImages = 256);
Status addNodeImages(CircuitDiagram& diagram, const std::string& modelPath, const std::string& images, JobContext& job,
                     int64_t maxImages = 256);

/// Every output unit's picture in `layer`, as circuit diagrams draw them: a first layer's kernels,
/// deeper units' top-activating crops among the first `maxImages` images. Empty pictures for
/// models whose input is not an image.
Result<std::vector<NodeImage>> layerUnitPictures(Workspace& workspace, const std::string& images, const std::string& layer,
                                                 JobContext& job, int64_t maxImages = 256);
Result<std::vector<NodeImage>> layerUnitPictures(const std::string& model, const std::string& images, const std::string& layer,
                                                 JobContext& job, int64_t maxImages = 256);

}  // namespace cx::engine
