#include "engine/pruning/internal/preservation.h"

#include "engine/model/internal/forward_plan.h"
#include "engine/pruning/internal/saliency.h"
#include "engine/pruning/internal/scoring.h"

namespace cx::engine {

torch::Tensor targetFeature(const torch::Tensor& y, const LayerInfo& info, const TargetSpec& target) {
    const int64_t channelDim = info.isConv() ? 1 : y.dim() - 1;
    torch::Tensor f = target.unit >= 0 ? y.select(channelDim, target.unit)
                                       : torch::tensordot(y, torch::tensor(target.direction, y.options()), {channelDim}, {0});
    return f.reshape({f.size(0), -1});
}

namespace {

// Target activations of each of `targets` (units of one layer) from one truncated forward per batch.
std::vector<torch::Tensor> activationsOfTargets(const Model& model, const torch::Tensor& images, const std::vector<TargetSpec>& targets,
                                                const std::vector<std::string>& params, const std::vector<torch::Tensor>& tensors,
                                                int64_t batchSize, JobContext* job, const std::string& deviceName) {
    const auto& summary = model.summary();
    const int layer = summary.indexOf(targets.front().layer);
    const auto& info = summary.layers[size_t(layer)];
    auto plan = ForwardPlan::build(model, {{layer, ProbeSide::Output}}, false, params, deviceName);
    TORCH_CHECK(plan.ok(), plan.ok() ? "" : plan.error().message);
    torch::NoGradGuard noGrad;
    const torch::Device device(deviceName);
    std::vector<torch::Tensor> onDevice;
    for (const auto& t : tensors) onDevice.push_back(t.to(device));
    std::vector<std::vector<torch::Tensor>> parts(targets.size());
    const int64_t n = images.size(0);
    for (int64_t b = 0; b < n; b += batchSize) {
        if (job && job->cancelled()) return {};
        const int64_t count = std::min(batchSize, n - b);
        auto y = examplesFirst(info, plan.value().run({images.narrow(0, b, count).to(device)}, onDevice).probes[0], count);
        for (size_t t = 0; t < targets.size(); ++t) parts[t].push_back(targetFeature(y, info, targets[t]).to(torch::kFloat64));
    }
    std::vector<torch::Tensor> out;
    for (auto& p : parts) out.push_back(torch::cat(p).cpu());
    return out;
}

torch::Tensor activationsUnder(const Model& model, const torch::Tensor& images, const TargetSpec& target,
                                const std::vector<std::string>& params, const std::vector<torch::Tensor>& tensors,
                                int64_t batchSize, JobContext* job, const std::string& deviceName) {
    auto all = activationsOfTargets(model, images, {target}, params, tensors, batchSize, job, deviceName);
    return all.empty() ? torch::Tensor() : all.front();
}

}  // namespace

torch::Tensor targetActivationsWith(const Model& model, const torch::Tensor& images, const TargetSpec& target,
                                    const std::vector<std::string>& params, const std::vector<torch::Tensor>& tensors,
                                    int64_t batchSize, const std::string& device) {
    return activationsUnder(model, images, target, params, tensors, batchSize, nullptr, device);
}

std::vector<torch::Tensor> unitActivations(const Model& model, const torch::Tensor& images, const TargetSpec& layer,
                                           const std::vector<int64_t>& units, int64_t batchSize, JobContext& job,
                                           const std::string& device) {
    std::vector<TargetSpec> targets;
    for (int64_t u : units) {
        TargetSpec t = layer;
        t.unit = u;
        t.direction.clear();
        targets.push_back(t);
    }
    return activationsOfTargets(model, images, targets, {}, {}, batchSize, &job, device);
}

torch::Tensor targetActivations(const Model& model, const torch::Tensor& images, const TargetSpec& target,
                                const Circuit* circuit, int64_t batchSize, JobContext& job, const std::string& device) {
    Overrides overrides;
    if (circuit) overrides = circuitOverrides(model, *circuit, device);
    return activationsUnder(model, images, target, overrides.params, overrides.tensors, batchSize, &job, device);
}

double absPearson(const torch::Tensor& original, const torch::Tensor& circuit, PearsonMode mode) {
    auto reduce = [mode](const torch::Tensor& f) {
        switch (mode) {
            case PearsonMode::Flattened: return f.flatten();
            case PearsonMode::ImageMean: return f.mean(1);
            case PearsonMode::ImageMax: return std::get<0>(f.max(1));
        }
        return f.flatten();
    };
    auto a = reduce(original.to(torch::kFloat64)), b = reduce(circuit.to(torch::kFloat64));
    a = a - a.mean();
    b = b - b.mean();
    const double denom = std::sqrt((a * a).sum().item<double>() * (b * b).sum().item<double>());
    if (denom == 0.0) return 0.0;
    return std::abs((a * b).sum().item<double>() / denom);
}

double deltaFNorm(const torch::Tensor& original, const torch::Tensor& circuit) {
    auto positions = original.argmax(1, true);
    auto fo = original.gather(1, positions).to(torch::kFloat64), fc = circuit.gather(1, positions).to(torch::kFloat64);
    const double denom = fo.abs().mean().item<double>();
    if (denom == 0.0) return 0.0;
    return (fc - fo).abs().mean().item<double>() / denom;
}

}  // namespace cx::engine
