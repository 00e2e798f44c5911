#pragma once
// Learned binary masks over a frozen model (NeuroSurgeon's subnetwork analysis): trainable
// logits per masked unit, a task loss plus lambda * L0, and a hard mask for evaluation.
// Continuous sparsification: soft mask sigmoid(T s), T annealed exponentially to a final value,
// hard mask s > 0, L0 = sum of soft masks. Hard concrete (Louizos et al. 2017): stochastic gates
// with beta = 2/3 stretched to (-0.1, 1.1) in training, deterministic gates in evaluation,
// closed-form expected L0.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/core/options.h"
#include "engine/masks/subnetworks.h"  // MaskStep
#include "engine/model/model.h"
#include "engine/model/target.h"
#include "engine/pruning/internal/saliency.h"

namespace cx::engine {

/// How unit masks act on a layer. Filters/neurons and heads always take their bias entries
/// with them; at weight and kernel granularity `maskBias` removes a bias entry once every
/// weight of its output unit is removed (soft masks: the row's largest mask value).
struct MaskScheme {
    Granularity granularity = Granularity::Weight;
    bool maskBias = false;
};

struct MaskTrainOptions {
    MaskMethod method = MaskMethod::ContinuousSparsification;
    Granularity granularity = Granularity::Weight;  // filter = neuron for linear layers
    std::vector<int> layers;                        // layer indices to mask
    // NeuroSurgeon's recipe: its default l0_lambda against a batch-mean cross-entropy (the loss
    // a HuggingFace model returns), 90 epochs annealed to T = 200, Adam at its examples' 0.05.
    double lambda = 1e-8;  // L0 weight against the batch-mean task loss
    double learningRate = 0.05;
    int epochs = 90;
    int64_t batchSize = 64;
    double initValue = 0.0;         // CS: initial logit; HC: initial log-alpha
    double finalTemperature = 200;  // CS: T goes 1 -> final over the epochs, T *= final^(1/epochs)
    bool temperaturePerStep = false;  // CS: grow T after every step instead (T *= final^(1/steps))
    uint64_t seed = 0;
    bool maskBias = false;
    int64_t heads = 0;        // head granularity: head count for layers without a detected num_heads
    double targetKept = 0.0;  // > 0: lambda adapts each step towards this fraction of units kept
    // Feature preservation instead of the task loss: the training targets are the target's
    // original activations (N x positions) and the loss is their mean squared error.
    std::optional<TargetSpec> preserve;
    std::string device = "cpu";  // where the logits live and the forward passes run
    bool flushDenormals = true;  // CPU: subnormal floats become 0 while training (see FlushDenormals)
    // Continuous sparsification at weight granularity: one fused node per weight for its soft
    // mask, masked weight and L0 term (soft_mask.h). false: the same expression through autograd.
    bool fusedSoftMask = true;

    MaskScheme scheme() const { return {granularity, maskBias}; }
};

/// Weight overrides for a set of unit masks (the masked model's forward), on the masks' device.
struct MaskedWeights {
    std::vector<std::string> params;
    std::vector<torch::Tensor> tensors;
};

/// One training step's masked weights and its differentiable L0, from one computation of the
/// soft masks.
struct SoftMaskedStep {
    MaskedWeights weights;
    torch::Tensor l0;
};
class MaskSet {
public:
    MaskSet(const Model& model, const MaskTrainOptions& options);

    /// Soft (training) or deterministic/hard (evaluation) masks, unit grids per layer.
    std::map<int, torch::Tensor> trainingMasks(double temperature);
    std::map<int, torch::Tensor> hardMasks() const;
    /// Differentiable L0 (CS: sum of soft masks; HC: expected number of non-zero gates).
    torch::Tensor l0(double temperature) const;
    /// The masked weights of a training step and its L0 (HC: gates drawn anew).
    SoftMaskedStep trainingStep(double temperature);
    /// Units, counting a head once for its whole attention block.
    int64_t totalUnits() const;
    int64_t keptUnits() const;
    /// The distinct trainable tensors (layers of one attention block share their head logits).
    std::vector<torch::Tensor> parameters() const;
    /// Head count of each attention layer, or a message naming a layer that has none.
    static Result<std::map<int, int64_t>> headCounts(const Model& model, const MaskTrainOptions& options);
    const std::map<int, torch::Tensor>& logits() const { return m_logits; }
    /// Continues from saved logits; InvalidInput when a layer or a shape differs.
    Status restore(const std::map<int, torch::Tensor>& logits);

private:
    const Model& m_model;
    MaskTrainOptions m_options;
    std::map<int, torch::Tensor> m_logits;
};

MaskedWeights maskedWeights(const Model& model, const std::map<int, torch::Tensor>& masks, MaskScheme scheme = {});

/// The bias factor of a unit mask under a scheme; undefined when the bias stays as it is.
torch::Tensor biasMaskFor(const LayerInfo& layer, const torch::Tensor& units, MaskScheme scheme);

/// Subnormal floats computed as 0 on this thread and LibTorch's intra-op threads while it lives.
/// Annealed towards T = 200, sigmoid(T s) saturates and its gradients become subnormal floats,
/// which x86 CPUs compute through a slow microcode path: 3 epochs of the demo's subnetworks took
/// 128 s here, 26 s flushed. Such values are far below anything a mask logit can resolve, and
/// the hard masks come out identical (tested). Cleared afterwards, so that scoring never sees it.
/// The fused soft mask (soft_mask.h) produces none in the first place; this covers the rest.
class FlushDenormals {
public:
    explicit FlushDenormals(bool on) : m_on(on) {
        if (m_on) setEverywhere(true);
    }
    ~FlushDenormals() {
        if (m_on) setEverywhere(false);
    }
    FlushDenormals(const FlushDenormals&) = delete;
    FlushDenormals& operator=(const FlushDenormals&) = delete;

private:
    static void setEverywhere(bool on);
    bool m_on;
};

/// The options' numbers and counts (finite, in range), before any data is read.
Status checkTrainOptions(const MaskTrainOptions& options);

/// Trains masks for a task (inputs, integer targets: N classes, or N x T tokens with -1 where
/// nothing is predicted) with the batch-mean cross-entropy + lambda * L0; or, with
/// options.preserve, for feature preservation (targets: original activations). Stop (a token's
/// cancel()) ends training between steps and keeps the masks of the last one; Cancel (its
/// interrupt()) ends it with ErrorCode::Cancelled, wherever it arrives.
/// `resumeFrom` (layer -> logits of a saved mask file) continues an earlier run.
Result<MaskSet> trainMasks(const Model& model, const torch::Tensor& inputs, const torch::Tensor& targets,
                           const MaskTrainOptions& options, JobContext& job,
                           const std::map<int, torch::Tensor>* resumeFrom = nullptr);

/// Exact-answer accuracy of the model with hard masks (an empty map: the base model), computed
/// on `device` (inputs, masks and targets may live anywhere).
double maskedAccuracy(const Model& model, const std::map<int, torch::Tensor>& masks, const torch::Tensor& inputs,
                      const torch::Tensor& targets, MaskScheme scheme = {}, const std::string& device = "cpu");
/// The same for already masked weights (ablations).
double weightsAccuracy(const Model& model, const MaskedWeights& weights, const torch::Tensor& inputs,
                       const torch::Tensor& targets, const std::string& device = "cpu");

}  // namespace cx::engine
