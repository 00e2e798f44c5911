#include "engine/pruning/internal/mask_function.h"

#include "engine/masks/internal/mask_training.h"
#include "engine/model/internal/workspace_impl.h"

namespace cx::engine {
namespace {

// The target a pruned circuit's file names (with its direction and objective, as scores files
// record them).
Result<TargetSpec> recordedTarget(const Model& model, const Metadata& meta) {
    auto get = [&](const std::string& key) { auto it = meta.find(key); return it == meta.end() ? std::string() : it->second; };
    auto target = parseTarget(get("target"));
    if (!target) return invalidInput("the circuit's file names no usable target: " + target.error().message);
    TargetSpec t = target.take();
    if (meta.count("direction")) t.direction = splitDirection(get("direction"));
    if (meta.count("objective"))
        if (auto st = parseObjective(get("objective"), t); !st) return st.error();
    if (auto layer = resolveTarget(model.summary(), t); !layer) return layer.error();
    return t;
}

}  // namespace

Result<Overrides> maskOverrides(const Model& model, const LoadedMasks& masks, const TargetSpec* target,
                                const std::string& device) {
    const auto& meta = masks.metadata;
    const auto bias = meta.find("bias");
    const MaskScheme scheme{masks.granularity, bias != meta.end() && bias->second == "pruned"};
    if (meta.count("effective_kept") && bias != meta.end()) {
        TargetSpec recorded;
        if (!target) {
            auto t = recordedTarget(model, meta);
            if (!t) return t.error();
            recorded = t.take();
            target = &recorded;
        }
        auto c = circuitFromMasks(model, masks.masks, masks.granularity, *target,
                                  scheme.maskBias ? BiasMode::Pruned : BiasMode::Masked);
        if (!c) return c.error();
        return circuitOverrides(model, c.value(), device);
    }
    auto w = maskedWeights(model, masks.masks, scheme);
    Overrides out;
    out.params = std::move(w.params);
    for (auto& t : w.tensors) out.tensors.push_back(t.to(torch::Device(device)));
    return out;
}

Result<Overrides> overridesOf(const Model& model, const MaskHandle& mask, const std::string& device) {
    if (!mask) return Overrides{};
    return maskOverrides(model, mask->data, nullptr, device);
}

}  // namespace cx::engine
