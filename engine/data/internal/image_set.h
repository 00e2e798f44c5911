#pragma once
#include <torch/torch.h>

#include "engine/core/error.h"
#include "engine/data/images.h"
#include "engine/io/safetensors.h"

namespace cx::engine {

/// Images as an N x C x H x W float32 CPU tensor, with class labels (-1 when unknown).
struct ImageSet {
    ImageSetInfo info;
    torch::Tensor images;
    torch::Tensor labels;  // int64, N
};

/// A folder of PNG/JPEG files (directly, or in class sub-folders), or a safetensors file with
/// key `images` (N x C x H x W float32, optional `labels` int64). InvalidInput names the file
/// at fault: unreadable image, mixed sizes without resize/crop, wrong key, dtype or rank, NaN.
Result<ImageSet> loadImages(const std::string& path, const ImageOptions& options);

/// One PNG or JPEG file's bytes decoded to 3 x H x W in 0..1: resized (shorter side) and
/// centre-cropped as `options` say. Images beyond kMaxImagePixels are refused from the header.
Result<torch::Tensor> decodeImage(const std::vector<uint8_t>& bytes, const std::string& name, const ImageOptions& options);

/// The inputs in a parsed safetensors file: `images` (float32 N x C x H x W, finite; optional
/// integer `labels`) or `inputs` (int64 N x T token ids, none negative).
Result<ImageSet> imagesFromFile(const SafetensorsFile& file, const std::string& path, const ImageOptions& options);

/// Token ids (N x T int64) as an input set, first `limit` rows when limit > 0; no labels.
ImageSet tokenSet(torch::Tensor ids, const std::string& source, int64_t limit);

/// Writes images (and labels, if any) as a safetensors image file.
Status saveImages(const std::string& path, const ImageSet& set);

/// Writes one image (C x H x W, values 0..1) as a PNG file.
Status savePng(const std::string& path, const torch::Tensor& image);

}  // namespace cx::engine
