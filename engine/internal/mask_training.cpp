#include "engine/internal/mask_training.h"

#include <cmath>

#include "engine/internal/forward_plan.h"
#include "engine/internal/guard.h"
#include "engine/internal/model_impl.h"
#include "engine/runtime.h"

namespace cx::engine {
namespace {

// Hard concrete constants (Louizos et al. 2017): temperature beta, stretch interval (gamma, zeta).
constexpr double kBeta = 2.0 / 3.0, kGamma = -0.1, kZeta = 1.1;

torch::Tensor stretchedGate(const torch::Tensor& logAlpha) {
    return (torch::sigmoid(logAlpha) * (kZeta - kGamma) + kGamma).clamp(0.0, 1.0);
}

}  // namespace

MaskSet::MaskSet(const Model& model, const MaskTrainOptions& options) : m_model(model), m_options(options) {
    for (int l : options.layers) {
        const auto& info = model.summary().layers[size_t(l)];
        const auto shape = unitShape(info, model.impl().param(info.param), options.granularity);
        m_logits[l] = torch::full(shape, options.initValue, torch::kFloat32).requires_grad_(true);
    }
}

Status MaskSet::restore(const std::map<int, torch::Tensor>& logits) {
    if (logits.size() != m_logits.size()) return invalidInput("the saved logits cover other layers than the ones to train");
    for (auto& [l, s] : m_logits) {
        auto it = logits.find(l);
        if (it == logits.end() || it->second.sizes() != s.sizes())
            return invalidInput("the saved logits do not match layer " + m_model.summary().layers[size_t(l)].name);
        torch::NoGradGuard noGrad;
        s.copy_(it->second);
    }
    return Done{};
}

std::map<int, torch::Tensor> MaskSet::trainingMasks(double temperature) {
    std::map<int, torch::Tensor> out;
    for (const auto& [l, s] : m_logits) {
        if (m_options.method == MaskMethod::ContinuousSparsification) {
            out[l] = torch::sigmoid(temperature * s);
        } else {
            auto u = torch::rand_like(s).clamp(1e-6, 1.0 - 1e-6);
            out[l] = (torch::sigmoid((torch::log(u) - torch::log(1 - u) + s) / kBeta) * (kZeta - kGamma) + kGamma)
                         .clamp(0.0, 1.0);
        }
    }
    return out;
}

std::map<int, torch::Tensor> MaskSet::hardMasks() const {
    torch::NoGradGuard noGrad;
    std::map<int, torch::Tensor> out;
    for (const auto& [l, s] : m_logits)
        out[l] = m_options.method == MaskMethod::ContinuousSparsification ? s > 0 : stretchedGate(s) > 0.5;
    return out;
}

torch::Tensor MaskSet::l0(double temperature) const {
    torch::Tensor total = torch::zeros({});
    for (const auto& [l, s] : m_logits)
        total = total + (m_options.method == MaskMethod::ContinuousSparsification
                             ? torch::sigmoid(temperature * s).sum()
                             : torch::sigmoid(s - kBeta * std::log(-kGamma / kZeta)).sum());
    return total;
}

int64_t MaskSet::totalUnits() const {
    int64_t n = 0;
    for (const auto& [l, s] : m_logits) n += s.numel();
    return n;
}

std::vector<torch::Tensor> MaskSet::parameters() const {
    std::vector<torch::Tensor> out;
    for (const auto& [l, s] : m_logits) out.push_back(s);
    return out;
}

MaskedWeights maskedWeights(const Model& model, const std::map<int, torch::Tensor>& masks) {
    MaskedWeights out;
    for (const auto& [l, mask] : masks) {
        const auto& info = model.summary().layers[size_t(l)];
        const auto& w = model.impl().param(info.param);
        out.params.push_back(info.param);
        out.tensors.push_back(w * unitMaskForWeight(info, w, mask));
    }
    return out;
}

Result<MaskSet> trainMasks(const Model& model, const torch::Tensor& inputs, const torch::Tensor& targets,
                           const MaskTrainOptions& options, JobContext& job, const std::map<int, torch::Tensor>* resumeFrom) {
    initRuntime();
    if (options.layers.empty()) return invalidInput("no layers to mask");
    if (options.epochs < 1) return invalidInput("epochs must be at least 1");
    if (options.lambda < 0) return invalidInput("lambda must not be negative");
    if (inputs.size(0) == 0 || inputs.size(0) != targets.size(0)) return invalidInput("inputs and targets must be non-empty and of equal count");
    return guarded<MaskSet>("mask training", [&]() -> Result<MaskSet> {
        torch::manual_seed(options.seed);
        MaskSet set(model, options);
        if (resumeFrom)
            if (auto st = set.restore(*resumeFrom); !st) return st.error();
        const auto probe = maskedWeights(model, set.hardMasks());
        auto plan = ForwardPlan::build(model, {}, true, probe.params);
        if (!plan) return plan.error();
        torch::optim::Adam optimizer(set.parameters(), torch::optim::AdamOptions(options.learningRate));
        const int64_t n = inputs.size(0);
        const int64_t batches = (n + options.batchSize - 1) / options.batchSize;
        const double growth = std::pow(options.finalTemperature, 1.0 / options.epochs);
        double temperature = 1.0;
        int64_t step = 0;
        for (int epoch = 0; epoch < options.epochs; ++epoch) {
            auto order = torch::randperm(n, torch::kInt64);
            for (int64_t b = 0; b < batches; ++b) {
                if (job.cancelled()) return set;  // the masks of the last completed step
                auto idx = order.slice(0, b * options.batchSize, std::min(n, (b + 1) * options.batchSize));
                auto weights = maskedWeights(model, set.trainingMasks(temperature));
                auto logits = plan.value().run({inputs.index_select(0, idx)}, weights.tensors).modelOutput.toTensor();
                auto l0 = set.l0(temperature);
                auto loss = torch::nll_loss(torch::log_softmax(logits, -1), targets.index_select(0, idx), {},
                                            at::Reduction::Sum) + options.lambda * l0;
                if (!std::isfinite(loss.item<double>()))
                    return Error{ErrorCode::Backend, "the loss became NaN or infinite at epoch " + std::to_string(epoch + 1) +
                                                         ", step " + std::to_string(step) + "; no masks were kept"};
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                MaskStep report{epoch, step++, loss.item<double>(), l0.item<double>(), l0.item<double>() / double(set.totalUnits()),
                                temperature};
                job.progress("train", (epoch + double(b + 1) / batches) / options.epochs, report);
            }
            if (options.method == MaskMethod::ContinuousSparsification) temperature *= growth;
        }
        return set;
    });
}

double maskedAccuracy(const Model& model, const std::map<int, torch::Tensor>& masks, const torch::Tensor& inputs,
                      const torch::Tensor& targets, int64_t batchSize) {
    torch::NoGradGuard noGrad;
    const auto weights = maskedWeights(model, masks);
    auto plan = ForwardPlan::build(model, {}, true, weights.params).take();
    int64_t correct = 0;
    for (int64_t b = 0; b < inputs.size(0); b += batchSize) {
        const int64_t end = std::min(inputs.size(0), b + batchSize);
        auto logits = plan.run({inputs.slice(0, b, end)}, weights.tensors).modelOutput.toTensor();
        correct += logits.argmax(-1).eq(targets.slice(0, b, end)).sum().item<int64_t>();
    }
    return double(correct) / double(inputs.size(0));
}

}  // namespace cx::engine
