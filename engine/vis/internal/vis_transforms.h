#pragma once
// The robustness transforms of feature visualisation, drawn afresh every step (Olah et al.
// 2017; Lucent's standard_transforms: pad 12, jitter 8, scale 0.9-1.1, rotate +-10 degrees,
// jitter 4): a picture that still excites the unit when moved, scaled and turned a little shows
// a pattern, not an adversarial texture.
#include <cstdint>
#include <random>
#include <vector>

#include <torch/torch.h>

namespace cx::engine {

struct TransformDraw {
    double scale = 1.0, degrees = 0.0, dx = 0.0, dy = 0.0;  // dx, dy in pixels
};

/// One draw per image from its own generator: scale in {0.9, 0.92, ..., 1.1}, rotation in
/// whole degrees -10..10 (0 five times as often, as Lucent draws it), a shift of -6..4 pixels
/// each way (the two jitters together).
TransformDraw drawTransform(std::mt19937_64& rng);

/// B x C x H x W (0..1) resampled bilinearly by each image's draw onto the same size, what falls
/// outside the image mid-grey (the padding's 0.5): the input keeps the model's size, so layers
/// after a flatten see what they were built for. Differentiable in `images`.
torch::Tensor applyTransforms(const torch::Tensor& images, const std::vector<TransformDraw>& draws);

}  // namespace cx::engine
