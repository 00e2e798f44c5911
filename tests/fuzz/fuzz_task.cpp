// libFuzzer: task files (mask training and evaluation data) and input files (images or token
// ids for scoring) parsed from any bytes: a task or an error, never a crash; what reads is
// usable (integer targets of one row per input, finite images, no negative token).
#include <cstdint>
#include <cstdlib>

#include "engine/data/internal/image_set.h"
#include "engine/data/internal/task_file.h"

using namespace cx::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto file = parseSafetensors(data, size, "fuzz");
    if (!file) return 0;
    for (const bool needTargets : {true, false}) {
        auto task = taskFromFile(file.value(), "fuzz", needTargets);
        if (!task) continue;
        const auto& t = task.value();
        if (t.inputs.size(0) == 0) std::abort();
        if (needTargets && (t.targets.scalar_type() != torch::kInt64 || t.targets.size(0) != t.inputs.size(0) ||
                            t.targets.lt(-1).any().item<bool>()))
            std::abort();
    }
    ImageOptions options;
    options.limit = 3;
    if (auto set = imagesFromFile(file.value(), "fuzz", options)) {
        const auto& s = set.value();
        if (s.images.size(0) == 0 || s.images.size(0) > 3 || s.labels.size(0) != s.images.size(0)) std::abort();
        if (s.images.is_floating_point() ? !torch::isfinite(s.images).all().item<bool>() : s.images.lt(0).any().item<bool>())
            std::abort();
    }
    return 0;
}
