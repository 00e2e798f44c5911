#include "engine/pruning/internal/force.h"

#include <cmath>
#include <map>

#include "engine/pruning/internal/circuit.h"

namespace cx::engine {

std::vector<int64_t> forceSchedule(int64_t relevant, int64_t finalCount, int steps) {
    std::vector<int64_t> counts;
    for (int t = 1; t <= steps; ++t) {
        const double f = double(t) / steps;
        counts.push_back(std::llround(std::exp(f * std::log(double(finalCount)) + (1 - f) * std::log(double(relevant)))));
    }
    return counts;
}

Result<std::vector<UnitScores>> forceScores(const Model& model, const torch::Tensor& images, const ScoreOptions& options,
                                              const std::vector<double>& sparsities, const ForceOptions& force,
                                              JobContext& job) {
    if (force.steps < 1) return invalidInput("FORCE needs at least one step");
    for (double s : sparsities)
        if (!(s > 0.0 && s <= 1.0)) return invalidInput("sparsity must be in (0, 1], got " + std::to_string(s));
    ScoreOptions snip = options;
    snip.criterion = Criterion::Snip;
    JobContext quiet(job.token());
    auto first = scoreKernels(model, images, snip, quiet);
    if (!first) return first.error();
    const int64_t m = first.value().relevantCount;
    std::map<int64_t, UnitScores> bySize;  // k -> s_{T-1}
    for (double s : sparsities) bySize.emplace(std::max<int64_t>(1, std::llround(s * double(m))), UnitScores{});
    const double passes = double(bySize.size()) * (force.steps - 1) + 1;
    double done = 1;
    job.progress("force", done / passes);
    for (auto& [k, result] : bySize) {
        const auto schedule = forceSchedule(m, k, force.steps);
        UnitScores current = first.value();
        for (int t = 0; t + 1 < force.steps; ++t) {
            if (job.cancelled()) return cancelledError();
            auto masks = topUnits(current, schedule[size_t(t)], force.minmax);
            auto next = scoreKernels(model, images, snip, quiet, &masks);
            if (!next) return next.error();
            current = next.take();
            job.progress("force", ++done / passes);
        }
        result = std::move(current);
    }
    std::vector<UnitScores> out;
    for (double s : sparsities) out.push_back(bySize.at(std::max<int64_t>(1, std::llround(s * double(m)))));
    return out;
}

}  // namespace cx::engine
