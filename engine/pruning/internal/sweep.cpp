#include "engine/pruning/internal/sweep.h"

#include "engine/core/internal/guard.h"
#include "engine/pruning/internal/force.h"
#include "engine/pruning/internal/scoring.h"

namespace cx::engine {

const std::vector<double>& defaultSparsities() {
    static const std::vector<double> levels = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.01, 0.005, 0.001};
    return levels;
}

Result<std::vector<CurvePoint>> sweepCircuits(const Model& model, const torch::Tensor& scoreImages,
                                              const torch::Tensor& evalImages, const SweepSettings& s, JobContext& job) {
    if (s.criteria.empty()) return invalidInput("no criteria given");
    if (s.sparsities.empty()) return invalidInput("no sparsities given");
    for (double level : s.sparsities)
        if (!(level > 0.0 && level <= 1.0)) return invalidInput("sparsity must be in (0, 1], got " + std::to_string(level));
    auto resolved = resolveTarget(model.summary(), s.target);
    if (!resolved) return resolved.error();
    return guarded<std::vector<CurvePoint>>("sweep", [&]() -> Result<std::vector<CurvePoint>> {
        std::vector<CurvePoint> points;
        JobContext inner(job.token());
        const torch::Tensor original = targetActivations(model, evalImages, s.target, nullptr, s.batchSize, inner, s.device);
        if (job.cancelled()) return cancelledError();
        const double total = double(s.criteria.size());
        for (size_t ci = 0; ci < s.criteria.size(); ++ci) {
            const std::string name = nameOf(s.criteria[ci]);
            job.progress("score " + name, ci / total);
            std::vector<UnitScores> perLevel;
            const ScoreOptions options{s.target, s.criteria[ci], s.batchSize, s.seed, s.device, s.granularity};
            if (options.criterion == Criterion::Force) {
                // Every level on its own schedule from all relevant kernels (seed 002).
                auto f = forceScores(model, scoreImages, options, s.sparsities, {s.minmax, 10}, inner);
                if (!f) return f.error();
                perLevel = f.take();
            } else {
                auto scores = scoreKernels(model, scoreImages, options, inner);
                if (!scores) return scores.error();
                perLevel.assign(s.sparsities.size(), scores.take());
            }
            for (size_t j = 0; j < s.sparsities.size(); ++j) {
                if (job.cancelled()) return cancelledError();
                auto circuit = selectCircuit(model, perLevel[j], {s.sparsities[j], s.minmax, s.bias});
                if (!circuit) return circuit.error();
                const auto& c = circuit.value();
                const torch::Tensor f = targetActivations(model, evalImages, s.target, &c, s.batchSize, inner, s.device);
                if (job.cancelled()) return cancelledError();
                CurvePoint p{s.criteria[ci], s.sparsities[j], c.relevant, c.keptCount, c.effectiveCount, c.disconnected};
                p.pearson = c.disconnected ? 0.0 : absPearson(original, f, s.pearson);
                p.dfnorm = deltaFNorm(original, f);
                points.push_back(p);
                job.progress("evaluate " + name, (ci + double(j + 1) / s.sparsities.size()) / total, points.back());
            }
        }
        return points;
    });
}

}  // namespace cx::engine
