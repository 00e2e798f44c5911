#pragma once
// Per-kernel saliency for one layer, from its input activations a and the gradient g of the
// objective at its output, summed over images with absolute values taken per image, so the
// result does not depend on how images are batched. Grids are O x I_per_group.
#include <torch/torch.h>

#include "engine/layer_info.h"

namespace cx::engine {

/// Elements of the largest temporary tensor a scoring step may create (256 MiB of floats).
constexpr int64_t kScoreChunkElements = int64_t(64) << 20;

/// ActGrad: S(o,i) += sum_n mean_{positions} |z_{n,o,i} * g_{n,o}|, z = W_{o,i} * a_i.
/// Single-kernel maps are materialised for bounded chunks of output channels and images.
torch::Tensor actGradKernelScores(const LayerInfo& layer, const torch::Tensor& weight, const torch::Tensor& a,
                                  const torch::Tensor& g);

/// SNIP: S(o,i) += sum_n mean_{taps of kernel (o,i)} |w * dL_n/dw| from per-image weight gradients.
torch::Tensor snipKernelScores(const LayerInfo& layer, const torch::Tensor& weight, const torch::Tensor& a,
                               const torch::Tensor& g);

/// Magnitude: mean |w| over each kernel's taps.
torch::Tensor magnitudeKernelScores(const LayerInfo& layer, const torch::Tensor& weight);

/// The weight in output-major layout (O x I [x taps]): transposed-weight linears are transposed.
torch::Tensor outputMajor(const LayerInfo& layer, const torch::Tensor& weight);

}  // namespace cx::engine
