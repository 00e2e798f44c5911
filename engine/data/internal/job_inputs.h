#pragma once
// Input checks shared by the file-level jobs (score, sweep).
#include "engine/data/internal/image_set.h"
#include "engine/model/model.h"
#include "engine/model/target.h"
#include "engine/pruning/pruning.h"

namespace cx::engine {

/// Target, objective and optional direction file of a request, parsed and combined.
Result<TargetSpec> prepareTarget(const ScoreSpec& request);
/// The model input's channel count, where the graph shows it (a layer reading the input
/// directly); -1 when no layer does (token models).
int64_t inputChannels(const ModelSummary& summary);
/// Images loaded and checked against the model's input channel count. (Not run through the
/// model: scoring needs the forward only up to its target.)
Result<ImageSet> loadCheckedImages(const Model& model, const std::string& path, const ImageOptions& options);
/// The model's output for the first (up to) two `inputs`, or InvalidInput naming `source` and
/// the reason the model gave (channels, sizes, dtypes that do not fit it).
Result<torch::Tensor> probeOutput(const Model& model, const torch::Tensor& inputs, const std::string& source);

}  // namespace cx::engine
