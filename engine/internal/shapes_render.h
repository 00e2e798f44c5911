#pragma once
#include "engine/internal/image_set.h"
#include "engine/shapes_dataset.h"

namespace cx::engine {

/// Draws `options.count` images; labels cycle through the classes so every class is balanced.
ImageSet generateShapes(const ShapesOptions& options);

}  // namespace cx::engine
