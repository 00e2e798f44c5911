// The preservation curve's CSV, shared by `cx sweep` and the GUI's curve export (no torch).
#include "engine/pruning/curve_csv.h"

#include <algorithm>
#include <sstream>

namespace cx::engine {

double effectiveSparsity(const CurvePoint& p) { return double(p.effectiveKept) / double(std::max<int64_t>(1, p.relevant)); }

std::string curveCsv(const std::vector<CurvePoint>& points) {
    // A population's rows lead with their unit; a single target's CSV stays as it was.
    const bool units = std::any_of(points.begin(), points.end(), [](const CurvePoint& p) { return p.unit >= 0; });
    std::ostringstream csv;
    csv.precision(9);
    csv << (units ? "unit," : "") << "criterion,sparsity,relevant,kept,effective_kept,effective_sparsity,disconnected,pearson,dfnorm\n";
    for (const auto& p : points) {
        if (units) csv << p.unit << ",";
        csv << nameOf(p.criterion) << "," << p.sparsity << "," << p.relevant << "," << p.kept << "," << p.effectiveKept << ","
            << effectiveSparsity(p) << "," << (p.disconnected ? 1 : 0) << "," << p.pearson << "," << p.dfnorm << "\n";
    }
    return csv.str();
}

}  // namespace cx::engine
