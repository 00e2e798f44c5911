#pragma once
// Per-unit saliency for one layer, from its input activations a, its output y and the gradient
// g of the objective at its output, summed over images with absolute values taken per image,
// so the result does not depend on how images are batched.
//
// Units by granularity, always output-major (row o first) whatever the weight's storage:
//   kernel  O x Ipg          (conv: one 2-d kernel; linear: one weight)
//   filter  O                (conv: a filter; linear: a neuron)
//   weight  the weight's shape in output-major order (O x Ipg x kh x kw, or O x I)
//   head    H (attention projections; the layer's detected head count)
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/core/error.h"
#include "engine/core/options.h"
#include "engine/model/layer_info.h"

namespace cx::engine {

// Head: one unit per attention head (learned masks only; see heads.h).
constexpr const char* kHeadsAreForMasks =
    "head granularity is for learned and magnitude masks (cx train-mask, cx magnitude), not for saliency pruning";

/// Elements of the largest temporary tensor a scoring step may create (256 MiB of floats).
constexpr int64_t kScoreChunkElements = int64_t(64) << 20;

/// ActGrad. Kernel: sum_n mean_p |z_{n,o,i} g_{n,o}| with z = W_{o,i} * a_i (single-kernel maps in
/// bounded chunks). Filter: sum_n mean_p |y_{n,o} g_{n,o}|. Weight: sum_n mean_p |w a_shifted g|,
/// which is |w| times the weight gradient of |g| against |a| (exact: all factors are absolute).
torch::Tensor actGradScores(const LayerInfo& layer, const torch::Tensor& weight, const torch::Tensor& a,
                            const torch::Tensor& y, const torch::Tensor& g, Granularity granularity);

/// SNIP: per weight sum_n |w dL_n/dw| (per-image gradients), averaged over each unit's weights.
torch::Tensor snipScores(const LayerInfo& layer, const torch::Tensor& weight, const torch::Tensor& a,
                         const torch::Tensor& g, Granularity granularity);

/// Magnitude: mean |w| over each unit's weights.
torch::Tensor magnitudeScores(const LayerInfo& layer, const torch::Tensor& weight, Granularity granularity);

/// The weight in output-major layout: transposed-weight linears are transposed.
torch::Tensor outputMajor(const LayerInfo& layer, const torch::Tensor& weight);

/// A linear layer's input, output or gradient as examples x positions x features (n examples
/// in this batch), wherever its examples lie (LayerInfo::exampleDim); convolutions unchanged.
torch::Tensor examplesFirst(const LayerInfo& layer, const torch::Tensor& t, int64_t examples);

/// Unit grid shape of a layer at a granularity.
std::vector<int64_t> unitShape(const LayerInfo& layer, const torch::Tensor& weight, Granularity granularity);

/// Kernel grid (O x Ipg, bool) -> units: a filter is relevant when any of its kernels is, a
/// weight when its kernel is.
torch::Tensor unitsFromKernels(const torch::Tensor& kernels, const std::vector<int64_t>& shape, Granularity granularity);
/// Units (bool) -> kernels that hold at least one kept unit.
torch::Tensor kernelsFromUnits(const torch::Tensor& units, int64_t inPerGroup, Granularity granularity);
/// A unit mask, broadcastable against the weight in its storage layout.
torch::Tensor unitMaskForWeight(const LayerInfo& layer, const torch::Tensor& weight, const torch::Tensor& units);
torch::Tensor unitMaskForWeight(const LayerInfo& layer, const torch::Tensor& weight, const torch::Tensor& units,
                                Granularity granularity);

}  // namespace cx::engine
