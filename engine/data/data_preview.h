#pragma once
// What the GUI shows about data before any circuit: a few thumbnails of an image set, and the
// mean activation of every unit of a layer (to pick a target unit); the types: data_preview_types.h.
#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/data/data_preview_types.h"
#include "engine/model/workspace.h"

namespace cx::engine {

/// The image set's description and its first `count` images for display (1- and 3-channel
/// images; others show their first channel as grey). Token inputs (a file's int64 `inputs`, or
/// the demo transformer's held-out `addition` / `multiplication` prompts) give `sequences`.
Result<DataPreview> previewImages(const std::string& path, int count, const ImageOptions& options = {});

/// Mean activation of every output unit of `layer` over the images: one truncated forward pass
/// in batches (nothing after the layer is computed). Cancelable between batches.
Result<UnitActivations> unitMeanActivations(Workspace& workspace, const std::string& images, const std::string& layer,
                                            JobContext& job, const ImageOptions& options = {});
Result<UnitActivations> unitMeanActivations(const std::string& model, const std::string& images, const std::string& layer,
                                            JobContext& job, const ImageOptions& options = {});

}  // namespace cx::engine
