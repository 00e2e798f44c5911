#pragma once
// A tensor image as a unit's picture (engine only: torch types).
#include <string>

#include <torch/torch.h>

#include "engine/diagram/node_image.h"

namespace cx::engine {

/// C x H x W (1 or 3 channels, values 0..1) as 8-bit RGB, shrunk by area averaging to at most
/// `maxSide` pixels a side.
NodeImage pictureOf(const torch::Tensor& chw, const std::string& kind, int64_t maxSide = 64);

}  // namespace cx::engine
