// libFuzzer: the curve CSV reader (the GUI's Population tab opens any file): never a crash, and
// every point it accepts is one the sweep could have written, which reads back unchanged.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/pruning/curve_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto points = cx::engine::parseCurveCsv(text);
    if (!points) return 0;
    for (const auto& p : points.value())
        if (!(p.sparsity > 0 && p.sparsity <= 1) || !(p.pearson >= 0 && p.pearson <= 1) || !std::isfinite(p.dfnorm) ||
            p.kept > p.relevant || p.effectiveKept > p.kept || p.effectiveKept < 0)
            std::abort();
    auto again = cx::engine::parseCurveCsv(cx::engine::curveCsv(points.value()));
    if (!again || again.value().size() != points.value().size()) std::abort();
    return 0;
}
