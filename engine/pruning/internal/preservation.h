#pragma once
// How well a circuit preserves its target: |Pearson r| between original and circuit
// activations, and delta-f-norm at each image's original arg-max position.
#include <torch/torch.h>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/core/options.h"
#include "engine/model/model.h"
#include "engine/model/target.h"
#include "engine/pruning/internal/circuit.h"

namespace cx::engine {

/// Target activations f (N x positions, float64 on the CPU) of the original model (circuit ==
/// nullptr) or of a circuit, from a truncated forward in batches on `device`, without
/// gradients. Throws c10::Error.
torch::Tensor targetActivations(const Model& model, const torch::Tensor& images, const TargetSpec& target,
                                const Circuit* circuit, int64_t batchSize, JobContext& job, const std::string& device = "cpu");

/// The original model's activations of several units of the target layer, from one forward:
/// each equal to targetActivations for that unit alone.
std::vector<torch::Tensor> unitActivations(const Model& model, const torch::Tensor& images, const TargetSpec& layer,
                                           const std::vector<int64_t>& units, int64_t batchSize, JobContext& job,
                                           const std::string& device = "cpu");

/// The same with any substituted parameters (a learned mask's weights): params[i] -> tensors[i].
torch::Tensor targetActivationsWith(const Model& model, const torch::Tensor& images, const TargetSpec& target,
                                    const std::vector<std::string>& params, const std::vector<torch::Tensor>& tensors,
                                    int64_t batchSize = 256, const std::string& device = "cpu");

/// The target's value (N x positions) from its layer's output y; differentiable.
/// `y` examples first (examplesFirst): one row of positions per example.
torch::Tensor targetFeature(const torch::Tensor& y, const LayerInfo& layer, const TargetSpec& target);

/// |Pearson r|; 0 when either side is constant.
double absPearson(const torch::Tensor& original, const torch::Tensor& circuit, PearsonMode mode);
/// mean_n |f_circ(p_n) - f_orig(p_n)| / mean_n |f_orig(p_n)|, p_n = arg-max of f_orig for image n.
double deltaFNorm(const torch::Tensor& original, const torch::Tensor& circuit);

}  // namespace cx::engine
