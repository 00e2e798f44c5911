#include "engine/vis/internal/vis_transforms.h"

#include <cmath>

namespace cx::engine {

TransformDraw drawTransform(std::mt19937_64& rng) {
    TransformDraw d;
    d.scale = 1.0 + (int(std::uniform_int_distribution<int>(0, 10)(rng)) - 5) / 50.0;
    const int angle = std::uniform_int_distribution<int>(0, 25)(rng);  // 21 angles and 5 more zeros
    d.degrees = angle <= 20 ? angle - 10 : 0;
    // Lucent's jitter(8) then jitter(4): crops at offsets 0..7 and 0..3, which move the centre
    // by -4..3 and -2..1 pixels.
    auto shift = [&]() { return std::uniform_int_distribution<int>(-4, 3)(rng) + std::uniform_int_distribution<int>(-2, 1)(rng); };
    d.dx = shift();
    d.dy = shift();
    return d;
}

torch::Tensor applyTransforms(const torch::Tensor& images, const std::vector<TransformDraw>& draws) {
    const int64_t b = images.size(0), h = images.size(2), w = images.size(3);
    // affine_grid maps output coordinates (in -1..1) to input ones: the inverse of the draw.
    auto theta = torch::zeros({b, 2, 3}, torch::kFloat32);
    auto t = theta.accessor<float, 3>();
    for (int64_t i = 0; i < b; ++i) {
        const auto& d = draws.at(size_t(i));
        const double a = d.degrees * M_PI / 180.0, c = std::cos(a) / d.scale, s = std::sin(a) / d.scale;
        t[i][0][0] = float(c), t[i][0][1] = float(-s * h / w), t[i][0][2] = float(-2.0 * d.dx / w);
        t[i][1][0] = float(s * w / h), t[i][1][1] = float(c), t[i][1][2] = float(-2.0 * d.dy / h);
    }
    namespace F = torch::nn::functional;
    auto grid = F::affine_grid(theta.to(images.device()), {b, images.size(1), h, w}, false);
    auto moved = F::grid_sample(images - 0.5, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
    return moved + 0.5;
}

}  // namespace cx::engine
