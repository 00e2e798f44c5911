#pragma once
// Evaluating a learned subnetwork: ablations, the magnitude baseline, and mask overlap.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/core/error.h"
#include "engine/core/options.h"
#include "engine/masks/internal/mask_training.h"
#include "engine/model/model.h"

namespace cx::engine {

/// Weight overrides for evaluating `masks` (bool unit grids) under an ablation. Random draws use
/// `generator` (RandomAblate: PyTorch's default uniform(+-1/sqrt(fan_in)) initialisation).
MaskedWeights ablatedWeights(const Model& model, const std::map<int, torch::Tensor>& masks, Ablation ablation,
                             at::Generator& generator, MaskScheme scheme = {});

/// The units of one random draw for RandomlySampled: as many per layer as `masks` keeps, from
/// the units it does not keep.
/// Why randomly_sampled cannot draw a same-size set from the complement (a layer where the
/// subnetwork keeps more than half), or empty.
std::string complementTooSmall(const Model& model, const std::map<int, torch::Tensor>& masks);

std::map<int, torch::Tensor> sampleFromComplement(const std::map<int, torch::Tensor>& masks, at::Generator& generator);

/// Magnitude baseline: keep the `keep` fraction of units with the largest mean |w|, ranked
/// globally over the layers or within each tensor.
std::map<int, torch::Tensor> magnitudeMasks(const Model& model, const std::vector<int>& layers, double keep,
                                            Granularity granularity, bool global);

struct OverlapRow {
    std::string name;      // layer, tensor or block
    std::string absentIn;  // "A" or "B": the layer is not in that mask (its counts are the other's alone)
    int64_t onlyA = 0, both = 0, onlyB = 0, neither = 0;
    /// both / (onlyA + both + onlyB); undefined (NaN) for an empty union or a layer one mask lacks.
    double iou() const {
        if (!absentIn.empty() || onlyA + both + onlyB == 0) return std::nan("");
        return double(both) / double(onlyA + both + onlyB);
    }
};

}  // namespace cx::engine
