// The activation scatter's data: the target's values in the original model and in a circuit.
#include "engine/circuit_job.h"
#include "engine/internal/circuit.h"
#include "engine/internal/circuit_files.h"
#include "engine/internal/guard.h"
#include "engine/internal/job_inputs.h"
#include "engine/internal/mask_training.h"
#include "engine/internal/preservation.h"
#include "engine/runtime.h"

namespace cx::engine {
namespace {

std::vector<float> evenSample(const torch::Tensor& values, size_t maxPoints) {
    const auto flat = values.flatten().to(torch::kFloat32).contiguous().cpu();
    const size_t n = size_t(flat.numel());
    const size_t step = std::max<size_t>(1, (n + maxPoints - 1) / maxPoints);
    std::vector<float> out;
    out.reserve(n / step + 1);
    const float* data = flat.data_ptr<float>();
    for (size_t i = 0; i < n; i += step) out.push_back(data[i]);
    return out;
}

}  // namespace

Result<ActivationPairs> circuitActivations(const std::string& modelPath, const std::string& imagesPath,
                                           const std::string& maskPath, const std::string& targetText, JobContext& job,
                                           size_t maxPoints, const std::string& directionFile) {
    initRuntime();
    ScoreRequest probe;
    probe.model = modelPath;
    probe.target = targetText;
    probe.directionFile = directionFile;
    auto target = prepareTarget(probe);
    if (!target) return target.error();
    auto model = Model::load(modelPath);
    if (!model) return model.error();
    if (auto r = resolveTarget(model.value()->summary(), target.value()); !r) return r.error();
    auto images = loadCheckedImages(*model.value(), imagesPath, {});
    if (!images) return images.error();
    auto masks = readUnitMasks(maskPath, *model.value());
    if (!masks) return masks.error();
    const auto& meta = masks.value().metadata;
    const auto bias = meta.find("bias");
    const MaskScheme scheme{masks.value().granularity, bias != meta.end() && bias->second == "pruned"};
    return guarded<ActivationPairs>("circuit activations", [&]() -> Result<ActivationPairs> {
        torch::NoGradGuard noGrad;
        const auto& m = *model.value();
        JobContext quiet(job.token());
        const std::string device = defaultDevice();
        const auto original = targetActivations(m, images.value().images, target.value(), nullptr, 64, quiet, device);
        if (job.cancelled()) return cancelledError();
        // A pruned circuit (cx prune, Find Circuit) runs as the sweep ran it: one definition of
        // its function (circuitOverrides). A learned mask runs with its own scheme.
        std::vector<std::string> params;
        std::vector<torch::Tensor> tensors;
        if (meta.count("effective_kept") && bias != meta.end()) {
            auto c = circuitFromMasks(m, masks.value().masks, masks.value().granularity, target.value(),
                                      scheme.maskBias ? BiasMode::Pruned : BiasMode::Masked);
            if (!c) return c.error();
            auto o = circuitOverrides(m, c.value(), device);
            params = std::move(o.params);
            tensors = std::move(o.tensors);
        } else {
            auto w = maskedWeights(m, masks.value().masks, scheme);
            params = std::move(w.params);
            tensors = std::move(w.tensors);
        }
        const auto circuit = targetActivationsWith(m, images.value().images, target.value(), params, tensors, 64, device);
        ActivationPairs out;
        out.pearson = absPearson(original, circuit, PearsonMode::Flattened);
        out.original = evenSample(original, maxPoints);
        out.circuit = evenSample(circuit, maxPoints);
        return out;
    });
}

}  // namespace cx::engine
