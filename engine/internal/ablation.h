#pragma once
// Evaluating a learned subnetwork: ablations, the magnitude baseline, and mask overlap.
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/error.h"
#include "engine/internal/mask_training.h"
#include "engine/model.h"

namespace cx::engine {

enum class Ablation {
    None,            // the subnetwork alone (weights outside it are zero)
    ZeroAblate,      // the model without the subnetwork
    RandomAblate,    // the subnetwork's weights replaced by a fresh random initialisation
    RandomlySampled  // the model without a random set of units of the same size, drawn from the complement
};

const char* ablationName(Ablation a);
Result<Ablation> parseAblation(const std::string& text);

/// Weight overrides for evaluating `masks` (bool unit grids) under an ablation. Random draws use
/// `generator` (RandomAblate: PyTorch's default uniform(+-1/sqrt(fan_in)) initialisation).
MaskedWeights ablatedWeights(const Model& model, const std::map<int, torch::Tensor>& masks, Ablation ablation,
                             at::Generator& generator, MaskScheme scheme = {});

/// The units of one random draw for RandomlySampled: as many per layer as `masks` keeps, from
/// the units it does not keep.
std::map<int, torch::Tensor> sampleFromComplement(const std::map<int, torch::Tensor>& masks, at::Generator& generator);

/// Magnitude baseline: keep the `keep` fraction of units with the largest mean |w|, ranked
/// globally over the layers or within each tensor.
std::map<int, torch::Tensor> magnitudeMasks(const Model& model, const std::vector<int>& layers, double keep,
                                            Granularity granularity, bool global);

struct OverlapRow {
    std::string name;  // layer name
    int64_t onlyA = 0, both = 0, onlyB = 0, neither = 0;
    double iou() const { return onlyA + both + onlyB == 0 ? 1.0 : double(both) / double(onlyA + both + onlyB); }
};

/// Per layer: units kept by only A, both, only B, neither (layers absent from a mask count as
/// fully kept there: unmasked).
std::vector<OverlapRow> maskOverlap(const Model& model, const std::map<int, torch::Tensor>& a,
                                    const std::map<int, torch::Tensor>& b);

}  // namespace cx::engine
