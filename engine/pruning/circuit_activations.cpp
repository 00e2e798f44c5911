// The activation scatter's data: the target's values in the original model and in a circuit.
#include "engine/pruning/circuit_activations.h"

#include <sstream>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/data/internal/job_inputs.h"
#include "engine/masks/internal/mask_training.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/pruning/internal/circuit.h"
#include "engine/pruning/internal/circuit_files.h"
#include "engine/pruning/internal/mask_function.h"
#include "engine/pruning/internal/preservation.h"
#include "engine/pruning/pruning.h"

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

// LAYER:UNIT, or LAYER with a direction file, as `cx score` reads them.
Result<TargetSpec> targetOf(const std::string& text, const std::string& directionFile) {
    ScoreSpec probe;
    probe.target = text;
    probe.directionFile = directionFile;
    return prepareTarget(probe);
}

}  // namespace

Result<ActivationPairs> circuitActivations(Workspace& workspace, const std::string& imagesPath, const Mask& mask,
                                           const std::string& targetText, JobContext& job, size_t maxPoints,
                                           const std::string& directionFile) {
    initRuntime();
    auto target = targetOf(targetText, directionFile);
    if (!target) return target.error();
    const Model& m = *workspace.model();
    if (auto r = resolveTarget(m.summary(), target.value()); !r) return r.error();
    auto images = workspace.impl().images(imagesPath, {});
    if (!images) return images.error();
    const LoadedMasks& masks = mask.data;
    return guarded<ActivationPairs>("circuit activations", [&]() -> Result<ActivationPairs> {
        torch::NoGradGuard noGrad;
        JobContext quiet(job.token());
        const std::string device = defaultDevice();
        const auto& inputs = images.value()->images;
        // The model's own activations are the same for every circuit of this target: kept.
        std::ostringstream key;
        key.precision(17);
        key << "target|" << Workspace::Impl::imagesKey(imagesPath, {}) << '|' << target.value().text() << '|'
            << objectiveText(target.value()) << '|' << device;
        for (double d : target.value().direction) key << ',' << d;
        auto kept = workspace.impl().find<torch::Tensor>(key.str());
        if (!kept) {
            auto computed = std::make_shared<const torch::Tensor>(targetActivations(m, inputs, target.value(), nullptr, 64, quiet, device));
            if (job.cancelled()) return cancelledError();
            workspace.impl().keep(key.str(), computed, size_t(computed->numel()) * computed->element_size());
            kept = computed;
        }
        const torch::Tensor& original = *kept;
        auto overrides = maskOverrides(m, masks, &target.value(), device);
        if (!overrides) return overrides.error();
        const auto& params = overrides.value().params;
        const auto& tensors = overrides.value().tensors;
        const auto circuit = targetActivationsWith(m, inputs, target.value(), params, tensors, 64, device);
        ActivationPairs out;
        out.pearson = absPearson(original, circuit, PearsonMode::Flattened);
        out.original = evenSample(original, maxPoints);
        out.circuit = evenSample(circuit, maxPoints);
        return out;
    });
}

Result<ActivationPairs> circuitActivations(const std::string& modelPath, const std::string& imagesPath,
                                           const std::string& maskPath, const std::string& targetText, JobContext& job,
                                           size_t maxPoints, const std::string& directionFile) {
    initRuntime();
    auto target = targetOf(targetText, directionFile);
    if (!target) return target.error();
    auto workspace = Workspace::open(modelPath);
    if (!workspace) return workspace.error();
    // Checked in the order they always were: the target, the images, then the mask.
    if (auto r = resolveTarget(workspace.value()->summary(), target.value()); !r) return r.error();
    if (auto images = workspace.value()->impl().images(imagesPath, {}); !images) return images.error();
    auto mask = readMask(*workspace.value(), maskPath);
    if (!mask) return mask.error();
    return circuitActivations(*workspace.value(), imagesPath, *mask.value(), targetText, job, maxPoints, directionFile);
}

}  // namespace cx::engine
