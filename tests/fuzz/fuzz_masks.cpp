// libFuzzer: mask and scores files read for a fixed model (tests/data/models/chain.pt): a
// result or an error, never a crash; what reads holds what the readers promise (masks on the
// model's unit grids, finite logits and scores).
#include <cstdint>
#include <cstdlib>

#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/circuit_files.h"
#include "tests/fuzz/fuzz_util.h"

using namespace cx::engine;

static const Model& chainModel() {
    static const auto model = Model::load(CX_FUZZ_DATA "/models/chain.pt").take();
    return *model;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const Model& model = chainModel();
    const std::string path = writeFuzzInput(data, size, ".safetensors");
    const auto& layers = model.summary().layers;
    if (auto masks = readUnitMasks(path, model)) {
        if (masks.value().masks.empty()) std::abort();
        for (const auto& [l, m] : masks.value().masks)
            if (l < 0 || size_t(l) >= layers.size() || m.scalar_type() != torch::kBool) std::abort();
        for (const auto& [l, t] : masks.value().logits)
            if (!torch::isfinite(t).all().item<bool>()) std::abort();
    }
    if (auto scores = readScoresFile(path, model)) {
        const auto& s = scores.value().scores;
        if (s.targetLayer < 0 || size_t(s.targetLayer) >= layers.size() || s.images < 0) std::abort();
        for (const auto& [l, t] : s.scores)
            if (!torch::isfinite(t).all().item<bool>()) std::abort();
    }
    return 0;
}
