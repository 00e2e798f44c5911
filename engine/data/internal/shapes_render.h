#pragma once
#include "engine/data/internal/image_set.h"
#include "engine/data/shapes_dataset.h"

namespace cx::engine {

/// Draws `options.count` images; labels cycle through the classes so every class is balanced.
ImageSet generateShapes(const ShapesOptions& options);

}  // namespace cx::engine
