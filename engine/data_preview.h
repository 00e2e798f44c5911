#pragma once
// What the GUI shows about data before any circuit: a few thumbnails of an image set, and the
// mean activation of every unit of a layer (to pick a target unit). Plain types, no torch.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/images.h"
#include "engine/job.h"
#include "engine/node_image.h"

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

/// The image set's description and its first `count` images for display (1- and 3-channel
/// images; others show their first channel as grey). Token inputs (a file's int64 `inputs`, or
/// the demo transformer's held-out `addition` / `multiplication` prompts) give `sequences`.
Result<DataPreview> previewImages(const std::string& path, int count, const ImageOptions& options = {});

struct UnitActivations {
    std::string layer;
    std::vector<double> mean;  // per output unit: mean of ReLU(output) over images and positions
    int64_t images = 0;
    std::vector<NodeImage> pictures;  // per output unit (see layerUnitPictures); empty when not computed
};

/// Mean activation of every output unit of `layer` over the images: one truncated forward pass
/// in batches (nothing after the layer is computed). Cancelable between batches.
Result<UnitActivations> unitMeanActivations(const std::string& model, const std::string& images, const std::string& layer,
                                            JobContext& job, const ImageOptions& options = {});

/// Every output unit's picture in `layer`, as circuit diagrams draw them: a first layer's kernels,
/// deeper units' top-activating crops among the first `maxImages` images. Empty pictures for
/// models whose input is not an image.
Result<std::vector<NodeImage>> layerUnitPictures(const std::string& model, const std::string& images, const std::string& layer,
                                                 JobContext& job, int64_t maxImages = 256);

}  // namespace cx::engine
