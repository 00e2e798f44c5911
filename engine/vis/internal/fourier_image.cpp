#include "engine/vis/internal/fourier_image.h"

#include <algorithm>

namespace cx::engine {
namespace {

constexpr double kMagic = 4.0;  // Lucent's divisor: a unit-variance spectrum gives a mild image

// The square root of ImageNet's colour covariance (Lucent's color_correlation_svd_sqrt), its
// columns scaled so that the largest has norm 1.
torch::Tensor colourCorrelation() {
    auto m = torch::tensor({0.26, 0.09, 0.02, 0.27, 0.00, -0.05, 0.27, -0.09, 0.03}, torch::kFloat32).reshape({3, 3});
    const auto maxNorm = m.norm(2, 0).max();
    return m / maxNorm;
}

// Frequencies of the rfft2 grid, as numpy's fftfreq gives them: H x (W/2 + 1).
torch::Tensor frequencies(int64_t h, int64_t w) {
    auto fy = torch::fft::fftfreq(h, torch::kFloat32).unsqueeze(1);
    auto fx = torch::fft::fftfreq(w, torch::kFloat32).narrow(0, 0, w / 2 + 1).abs().unsqueeze(0);
    return (fx * fx + fy * fy).sqrt();
}

// C x H x W colour mixing: out[c] = sum_k m[c, k] x[k].
torch::Tensor mixColours(const torch::Tensor& x, const torch::Tensor& m) {
    return torch::einsum("ck,bkhw->bchw", {m.to(x.device()), x});
}

}  // namespace

FourierImage::FourierImage(int64_t channels, int64_t height, int64_t width)
    : m_channels(channels), m_height(height), m_width(width) {
    const double floor = 1.0 / double(std::max(height, width));
    m_scale = 1.0 / frequencies(height, width).clamp_min(floor);
}

FourierImage::FourierImage(int64_t batch, int64_t channels, int64_t height, int64_t width, const std::vector<uint64_t>& seeds,
                           double sd)
    : FourierImage(channels, height, width) {
    std::vector<torch::Tensor> parts;
    for (int64_t b = 0; b < batch; ++b) {
        auto generator = at::detail::createCPUGenerator(seeds.at(size_t(b)));
        parts.push_back(at::randn({channels, height, width / 2 + 1, 2}, generator) * sd);
    }
    m_spectrum = torch::stack(parts).requires_grad_(true);
}

FourierImage FourierImage::fromImages(const torch::Tensor& images) {
    FourierImage out(images.size(1), images.size(2), images.size(3));
    torch::NoGradGuard noGrad;
    auto linear = torch::logit(images.to(torch::kFloat32));
    if (out.m_channels == 3) linear = mixColours(linear, torch::inverse(colourCorrelation()));
    auto spectrum = torch::fft::rfft2(linear * kMagic, c10::nullopt, {-2, -1}, "ortho");
    out.m_spectrum = torch::view_as_real(spectrum / out.m_scale).contiguous().requires_grad_(true);
    return out;
}

void FourierImage::to(const torch::Device& device) {
    m_spectrum = m_spectrum.detach().to(device).requires_grad_(true);
    m_scale = m_scale.to(device);
}

torch::Tensor FourierImage::image() const {
    auto scaled = torch::view_as_complex(m_spectrum * m_scale.unsqueeze(-1));
    auto linear = torch::fft::irfft2(scaled, std::vector<int64_t>{m_height, m_width}, {-2, -1}, "ortho") / kMagic;
    if (m_channels == 3) linear = mixColours(linear, colourCorrelation());
    return torch::sigmoid(linear);
}

}  // namespace cx::engine
