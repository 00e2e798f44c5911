#pragma once
// What the GUI shows about data before any circuit: thumbnails of an image set, and the mean
// activation of every unit of a layer. Plain value types, no torch.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/images.h"
#include "engine/diagram/node_image.h"

namespace cx::engine {

struct Thumbnail {
    int width = 0, height = 0;
    std::vector<uint8_t> rgb;  // width x height x 3, row-major; each image stretched to 0..255
    std::string label;         // class name when the set has labels
};

struct DataPreview {
    ImageSetInfo info;
    std::vector<Thumbnail> thumbnails;
    // Token inputs instead of images (info.count sequences of info.width tokens): the first
    // sequences as text, token ids separated by spaces (the demo tasks' in their own symbols,
    // "37*45=2": the answer's ones digit is the last input token).
    std::vector<std::string> sequences;
};

struct UnitActivations {
    std::string layer;
    std::vector<double> mean;  // per output unit: mean of ReLU(output) over images and positions
    int64_t images = 0;
    std::vector<NodeImage> pictures;  // per output unit (see layerUnitPictures); empty when not computed
};

}  // namespace cx::engine
