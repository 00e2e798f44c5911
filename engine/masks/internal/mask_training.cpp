#include "engine/masks/internal/mask_training.h"

#include <algorithm>
#include <cmath>

#include "engine/core/internal/guard.h"
#include "engine/core/internal/intra_op.h"
#include "engine/core/runtime.h"
#include "engine/masks/internal/mask_adam.h"
#include "engine/masks/internal/soft_mask.h"
#include "engine/masks/internal/task_loss.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/heads.h"
#include "engine/model/internal/model_impl.h"
#include "engine/pruning/internal/preservation.h"
#include "engine/pruning/internal/saliency.h"

namespace cx::engine {
namespace {

// Hard concrete constants (Louizos et al. 2017): temperature beta, stretch interval (gamma, zeta).
constexpr double kBeta = 2.0 / 3.0, kGamma = -0.1, kZeta = 1.1;

}  // namespace

void FlushDenormals::setEverywhere(bool on) {
    at::globalContext().setFlushDenormal(on);
    // One index per intra-op thread: each runs the lambda once, on itself.
    parallelChunks(at::get_num_threads(), [on](int64_t, int64_t) { at::globalContext().setFlushDenormal(on); }, 1);
}

namespace {

torch::Tensor stretchedGate(const torch::Tensor& logAlpha) {
    return (torch::sigmoid(logAlpha) * (kZeta - kGamma) + kGamma).clamp(0.0, 1.0);
}

}  // namespace

MaskSet::MaskSet(const Model& model, const MaskTrainOptions& options) : m_model(model), m_options(options) {
    const auto on = torch::TensorOptions().dtype(torch::kFloat32).device(torch::Device(options.device));
    const auto heads = options.granularity == Granularity::Head ? headCounts(model, options).take() : std::map<int, int64_t>{};
    std::map<std::string, torch::Tensor> blockLogits;  // attention block -> its shared head logits
    for (int l : options.layers) {
        const auto& info = model.summary().layers[size_t(l)];
        if (options.granularity == Granularity::Head) {
            auto& shared = blockLogits[attentionGroup(info)];
            if (!shared.defined()) shared = torch::full({heads.at(l)}, options.initValue, on).requires_grad_(true);
            m_logits[l] = shared;
            continue;
        }
        const auto shape = unitShape(info, model.impl().param(info.param), options.granularity);
        m_logits[l] = torch::full(shape, options.initValue, on).requires_grad_(true);
    }
}

Result<std::map<int, int64_t>> MaskSet::headCounts(const Model& model, const MaskTrainOptions& options) {
    std::map<int, int64_t> out;
    std::map<std::string, int64_t> perBlock;
    for (int l : options.layers) {
        const auto& info = model.summary().layers[size_t(l)];
        const int64_t h = info.heads > 0 ? info.heads : options.heads;
        if (h < 1)
            return invalidInput("layer " + info.name + " has no detected attention heads; give the head count (--heads N) "
                                "or choose attention layers only");
        if (!headRole(info, h))
            return invalidInput("layer " + info.name + " (" + std::to_string(info.outChannels) + " x " +
                                std::to_string(info.inChannels) + ") does not split into " + std::to_string(h) + " heads");
        auto [it, fresh] = perBlock.emplace(attentionGroup(info), h);
        if (!fresh && it->second != h) return invalidInput("attention block " + it->first + " has layers with different head counts");
        out[l] = h;
    }
    return out;
}

Status MaskSet::restore(const std::map<int, torch::Tensor>& logits) {
    if (logits.size() != m_logits.size()) return invalidInput("the saved logits cover other layers than the ones to train");
    for (auto& [l, s] : m_logits) {
        auto it = logits.find(l);
        if (it == logits.end() || it->second.sizes() != s.sizes())
            return invalidInput("the saved logits do not match layer " + m_model.summary().layers[size_t(l)].name);
        torch::NoGradGuard noGrad;
        s.copy_(it->second.to(s.device()));
    }
    return Done{};
}

std::map<int, torch::Tensor> MaskSet::trainingMasks(double temperature) {
    // One draw per distinct logit tensor: the layers of an attention block share a head's gate.
    std::vector<std::pair<torch::Tensor, torch::Tensor>> drawn;
    std::map<int, torch::Tensor> out;
    for (const auto& [l, s] : m_logits) {
        auto same = std::find_if(drawn.begin(), drawn.end(), [&](const auto& d) { return d.first.is_same(s); });
        if (same != drawn.end()) {
            out[l] = same->second;
            continue;
        }
        if (m_options.method == MaskMethod::ContinuousSparsification) {
            out[l] = torch::sigmoid(temperature * s);
        } else {
            auto u = torch::rand_like(s).clamp(1e-6, 1.0 - 1e-6);
            out[l] = (torch::sigmoid((torch::log(u) - torch::log(1 - u) + s) / kBeta) * (kZeta - kGamma) + kGamma)
                         .clamp(0.0, 1.0);
        }
        drawn.emplace_back(s, out[l]);
    }
    return out;
}

std::map<int, torch::Tensor> MaskSet::hardMasks() const {
    torch::NoGradGuard noGrad;
    std::map<int, torch::Tensor> out;
    if (m_options.targetKept > 0) {
        // Target-kept mode ends on exactly the requested count: the units with the largest
        // logits (both methods' gates grow with the logit), ties kept together.
        std::vector<torch::Tensor> flat;
        for (const auto& s : parameters()) flat.push_back(s.detach().flatten());
        auto all = torch::cat(flat);
        const int64_t k = std::clamp<int64_t>(std::llround(m_options.targetKept * double(all.numel())), 1, all.numel());
        const double threshold = std::get<0>(all.topk(k)).min().item<double>();
        for (const auto& [l, s] : m_logits) out[l] = s >= threshold;
        return out;
    }
    for (const auto& [l, s] : m_logits)
        out[l] = m_options.method == MaskMethod::ContinuousSparsification ? s > 0 : stretchedGate(s) > 0.5;
    return out;
}

torch::Tensor MaskSet::l0(double temperature) const {
    torch::Tensor total = torch::zeros({}, torch::TensorOptions().device(torch::Device(m_options.device)));
    for (const auto& s : parameters())
        total = total + (m_options.method == MaskMethod::ContinuousSparsification
                             ? torch::sigmoid(temperature * s).sum()
                             : torch::sigmoid(s - kBeta * std::log(-kGamma / kZeta)).sum());
    return total;
}

SoftMaskedStep MaskSet::trainingStep(double temperature) {
    const bool fused = m_options.fusedSoftMask && m_options.method == MaskMethod::ContinuousSparsification &&
                       m_options.granularity == Granularity::Weight && !m_options.maskBias;
    if (!fused) return {maskedWeights(m_model, trainingMasks(temperature), m_options.scheme()), l0(temperature)};
    SoftMaskedStep out;
    out.l0 = torch::zeros({}, torch::TensorOptions().device(torch::Device(m_options.device)));
    for (const auto& [l, s] : m_logits) {
        const auto& info = m_model.summary().layers[size_t(l)];
        const auto w = paramOn(m_model, info.param, s.device());
        out.weights.params.push_back(info.param);
        if (w.scalar_type() != s.scalar_type()) {  // e.g. a float64 model: the plain expression
            auto m = torch::sigmoid(temperature * s);
            out.weights.tensors.push_back(w * unitMaskForWeight(info, w, m));
            out.l0 = out.l0 + m.sum();
            continue;
        }
        // The logits are output-major: a transposed linear layer's weight is masked through its view.
        const bool transposed = info.kind == LayerKind::TransposedLinear;
        auto masked = softMaskedWeight(s, transposed ? w.t() : w, temperature);
        out.weights.tensors.push_back(transposed ? masked.weight.t() : masked.weight);
        out.l0 = out.l0 + masked.maskSum;
    }
    return out;
}

int64_t MaskSet::totalUnits() const {
    int64_t n = 0;
    for (const auto& s : parameters()) n += s.numel();
    return n;
}

int64_t MaskSet::keptUnits() const {
    torch::NoGradGuard noGrad;
    int64_t n = 0;
    for (const auto& s : parameters())
        n += (m_options.method == MaskMethod::ContinuousSparsification ? s > 0 : stretchedGate(s) > 0.5).sum().item<int64_t>();
    return n;
}

std::vector<torch::Tensor> MaskSet::parameters() const {
    std::vector<torch::Tensor> out;
    for (const auto& [l, s] : m_logits)
        if (std::none_of(out.begin(), out.end(), [&](const torch::Tensor& t) { return t.is_same(s); })) out.push_back(s);
    return out;
}

torch::Tensor biasMaskFor(const LayerInfo& info, const torch::Tensor& units, MaskScheme scheme) {
    if (!info.hasBias()) return {};
    const auto m = units.to(torch::kFloat32);
    switch (scheme.granularity) {
        case Granularity::Filter: return m;
        case Granularity::Head: return headMaskForBias(info, m);
        case Granularity::Kernel:
        case Granularity::Weight: return scheme.maskBias ? std::get<0>(m.flatten(1).max(1)) : torch::Tensor{};
    }
    return {};
}

MaskedWeights maskedWeights(const Model& model, const std::map<int, torch::Tensor>& masks, MaskScheme scheme) {
    MaskedWeights out;
    for (const auto& [l, mask] : masks) {
        const auto& info = model.summary().layers[size_t(l)];
        const auto w = paramOn(model, info.param, mask.device());
        out.params.push_back(info.param);
        out.tensors.push_back(w * unitMaskForWeight(info, w, mask, scheme.granularity));
        if (auto b = biasMaskFor(info, mask, scheme); b.defined()) {
            out.params.push_back(info.biasParam);
            out.tensors.push_back(paramOn(model, info.biasParam, mask.device()) * b);
        }
    }
    return out;
}

namespace {

// Target-kept mode: lambda grows while more than the target fraction is kept and shrinks
// while less is, by at most a factor e^0.1 per step (a multiplicative controller on the
// differentiable L0, which starts at one half for logits at zero while the hard count is 0).
// It starts where the L0 term weighs as much as the first batch's task loss.
double adaptLambda(double lambda, double kept, double target) {
    const double error = std::clamp((kept - target) / std::max(target, 1e-3), -1.0, 1.0);
    return std::clamp(lambda * std::exp(0.1 * error), 1e-12, 1e6);
}

}  // namespace

Status checkTrainOptions(const MaskTrainOptions& options) {
    if (options.layers.empty()) return invalidInput("no layers to mask");
    if (options.epochs < 1) return invalidInput("epochs must be at least 1");
    if (!(options.lambda >= 0) || !std::isfinite(options.lambda)) return invalidInput("lambda must be a finite number >= 0");
    if (!(options.learningRate > 0) || !std::isfinite(options.learningRate))
        return invalidInput("the learning rate must be a finite number > 0");
    if (!(options.finalTemperature > 0) || !std::isfinite(options.finalTemperature))
        return invalidInput("the final temperature must be a finite number > 0");
    if (!std::isfinite(options.initValue)) return invalidInput("the initial logit must be a finite number");
    if (options.batchSize < 1) return invalidInput("the batch size must be at least 1");
    if (!(options.targetKept >= 0 && options.targetKept < 1)) return invalidInput("the target kept fraction must be in (0, 1)");
    return Done{};
}

Result<MaskSet> trainMasks(const Model& model, const torch::Tensor& inputs, const torch::Tensor& targets,
                           const MaskTrainOptions& options, JobContext& job, const std::map<int, torch::Tensor>* resumeFrom) {
    initRuntime();
    if (auto st = checkTrainOptions(options); !st) return st.error();
    if (inputs.size(0) == 0 || inputs.size(0) != targets.size(0)) return invalidInput("inputs and targets must be non-empty and of equal count");
    if (options.granularity == Granularity::Head)
        if (auto heads = MaskSet::headCounts(model, options); !heads) return heads.error();
    int targetLayer = -1;
    if (options.preserve) {
        auto resolved = resolveTarget(model.summary(), *options.preserve);
        if (!resolved) return resolved.error();
        targetLayer = resolved.value();
    }
    return guarded<MaskSet>("mask training", [&]() -> Result<MaskSet> {
        torch::manual_seed(options.seed);
        const torch::Device device(options.device);
        const FlushDenormals flushed(options.flushDenormals);
        if (device.is_cuda()) torch::cuda::manual_seed_all(options.seed);
        MaskSet set(model, options);
        if (resumeFrom)
            if (auto st = set.restore(*resumeFrom); !st) return st.error();
        const auto probe = maskedWeights(model, set.hardMasks(), options.scheme());
        std::vector<Probe> probes;
        if (targetLayer >= 0) probes.push_back({targetLayer, ProbeSide::Output});
        auto plan = ForwardPlan::build(model, probes, targetLayer < 0, probe.params, options.device);
        if (!plan) return plan.error();
        MaskAdam optimizer(set.parameters(), options.learningRate);
        const int64_t n = inputs.size(0);
        const int64_t batches = (n + options.batchSize - 1) / options.batchSize;
        const bool cs = options.method == MaskMethod::ContinuousSparsification;
        const double growth = std::pow(options.finalTemperature, 1.0 / double(options.epochs));
        const double stepGrowth = std::pow(options.finalTemperature, 1.0 / double(options.epochs * batches));
        double temperature = 1.0, lambda = options.targetKept > 0 ? std::max(options.lambda, 1e-6) : options.lambda;
        int64_t step = 0;
        for (int epoch = 0; epoch < options.epochs; ++epoch) {
            auto order = torch::randperm(n, torch::kInt64);
            for (int64_t b = 0; b < batches; ++b) {
                if (job.token()->interrupted()) return cancelledError();
                if (job.cancelled()) return set;  // Stop: the masks of the last completed step
                auto idx = order.slice(0, b * options.batchSize, std::min(n, (b + 1) * options.batchSize));
                auto soft = set.trainingStep(temperature);
                auto out = plan.value().run({inputs.index_select(0, idx).to(device)}, soft.weights.tensors);
                const auto batchTargets = targets.index_select(0, idx).to(device);
                torch::Tensor taskPart;
                if (targetLayer >= 0) {
                    const auto& info = model.summary().layers[size_t(targetLayer)];
                    auto f = targetFeature(examplesFirst(info, out.probes[0], idx.numel()), info, *options.preserve);
                    taskPart = (f - batchTargets.to(f.dtype())).pow(2).mean();
                } else {
                    taskPart = taskLoss(out.modelOutput.toTensor(), batchTargets, false);
                }
                const auto& l0 = soft.l0;
                auto loss = taskPart + lambda * l0;
                if (!std::isfinite(loss.item<double>()))
                    return Error{ErrorCode::Backend, "the loss became NaN or infinite at epoch " + std::to_string(epoch + 1) +
                                                         ", step " + std::to_string(step) + "; no masks were kept"};
                optimizer.zeroGrad();
                // The gradients of a batch-mean loss are batch-size times smaller, and annealed to
                // T = 200 the sigmoid's gradient then becomes mostly subnormal floats, which the CPU
                // computes many times slower (the demo's subnetworks: 2 minutes became over 25).
                // Adam's step does not change with a constant scale of the loss (up to its epsilon),
                // so the backward pass runs on the loss times the batch size.
                (loss * double(options.batchSize)).backward();
                optimizer.step();
                if (options.targetKept > 0 && step == 0)
                    lambda = std::max(lambda, taskPart.item<double>() / double(set.totalUnits()));
                MaskStep report{epoch, step++, loss.item<double>(), l0.item<double>(), l0.item<double>() / double(set.totalUnits()),
                                temperature, lambda};
                if (options.targetKept > 0)
                    lambda = adaptLambda(lambda, report.fractionKept, options.targetKept);
                job.progress("train", (epoch + double(b + 1) / batches) / options.epochs, report);
                if (cs && options.temperaturePerStep) temperature *= stepGrowth;
            }
            if (cs && !options.temperaturePerStep) temperature *= growth;
        }
        return set;
    });
}

double weightsAccuracy(const Model& model, const MaskedWeights& weights, const torch::Tensor& inputs,
                       const torch::Tensor& targets, const std::string& deviceName) {
    constexpr int64_t kBatch = 256;
    torch::NoGradGuard noGrad;
    const torch::Device device(deviceName);
    auto plan = ForwardPlan::build(model, {}, true, weights.params, deviceName).take();
    std::vector<torch::Tensor> tensors;
    for (const auto& t : weights.tensors) tensors.push_back(t.to(device));
    auto correct = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
    for (int64_t b = 0; b < inputs.size(0); b += kBatch) {
        const int64_t end = std::min(inputs.size(0), b + kBatch);
        auto logits = plan.run({inputs.slice(0, b, end).to(device)}, tensors).modelOutput.toTensor();
        correct += exactCorrect(logits, targets.slice(0, b, end).to(device)).sum();
    }
    return double(correct.item<int64_t>()) / double(inputs.size(0));
}

double maskedAccuracy(const Model& model, const std::map<int, torch::Tensor>& masks, const torch::Tensor& inputs,
                      const torch::Tensor& targets, MaskScheme scheme, const std::string& device) {
    std::map<int, torch::Tensor> onDevice;
    for (const auto& [l, m] : masks) onDevice[l] = m.to(torch::Device(device));
    return weightsAccuracy(model, maskedWeights(model, onDevice, scheme), inputs, targets, device);
}

}  // namespace cx::engine
