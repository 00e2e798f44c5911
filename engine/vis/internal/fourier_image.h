#pragma once
// The image parameterisation of feature visualisation (Olah et al., "Feature Visualization",
// Distill 2017; Lucent's param.image): a spectrum in the Fourier basis scaled by 1 / frequency,
// colours decorrelated by the square root of ImageNet's colour covariance, squashed into 0..1
// by a sigmoid. Gradient steps on the spectrum then change all frequencies at a similar rate,
// which keeps the high-frequency patterns that plain pixel steps produce out of the picture.
#include <cstdint>

#include <torch/torch.h>

namespace cx::engine {

class FourierImage {
public:
    /// `batch` images of `channels` (1 or 3) x height x width; the spectrum starts at N(0, sd^2),
    /// each image's from its own seed (so a unit's start does not depend on its batch).
    FourierImage(int64_t batch, int64_t channels, int64_t height, int64_t width, const std::vector<uint64_t>& seeds,
                 double sd = 0.01);
    /// The parameterisation of given images (B x C x H x W, values strictly inside 0..1): image()
    /// gives them back (the inverse of every step).
    static FourierImage fromImages(const torch::Tensor& images);

    /// Moves the parameterisation to `device` (before the optimiser takes the spectrum).
    void to(const torch::Device& device);

    /// B x C x H x W in 0..1, differentiable in spectrum().
    torch::Tensor image() const;
    /// The optimised tensor: B x C x H x (W/2 + 1) x 2 (real and imaginary parts).
    torch::Tensor& spectrum() { return m_spectrum; }

private:
    FourierImage(int64_t channels, int64_t height, int64_t width);
    torch::Tensor m_spectrum, m_scale;  // scale: H x (W/2 + 1), broadcast over the rest
    int64_t m_channels = 3, m_height = 0, m_width = 0;
};

}  // namespace cx::engine
