#include "engine/pruning/internal/sweep.h"

#include "engine/core/internal/guard.h"
#include "engine/pruning/internal/force.h"
#include "engine/pruning/internal/scoring.h"

namespace cx::engine {
namespace {

Status checkSweep(const Model& model, const SweepSettings& s) {
    if (s.criteria.empty()) return invalidInput("no criteria given");
    if (s.sparsities.empty()) return invalidInput("no sparsities given");
    for (double level : s.sparsities)
        if (!(level > 0.0 && level <= 1.0)) return invalidInput("sparsity must be in (0, 1], got " + std::to_string(level));
    auto resolved = resolveTarget(model.summary(), s.target);
    if (!resolved) return resolved.error();
    return Done{};
}

// One criterion's scores per level (FORCE: its own schedule per level; the others: one set).
Result<std::vector<UnitScores>> levelScores(const Model& model, const torch::Tensor& images, const SweepSettings& s,
                                            const ScoreOptions& options, JobContext& job) {
    if (options.criterion == Criterion::Force) return forceScores(model, images, options, s.sparsities, {s.minmax, 10}, job);
    auto scores = scoreKernels(model, images, options, job);
    if (!scores) return scores.error();
    return std::vector<UnitScores>(s.sparsities.size(), scores.take());
}

// A circuit's target activations on the evaluation images. One with no kept path from the input
// computes the same values for every image (only biases reach the target), so the first and the
// last image stand for all of them - checked: if those two differ, every image is run.
torch::Tensor circuitActivations(const Model& model, const torch::Tensor& images, const SweepSettings& s, const TargetSpec& target,
                                 const Circuit& c, JobContext& inner) {
    const int64_t n = images.size(0);
    if (c.disconnected && n > 2) {
        const auto ends = torch::tensor({int64_t(0), n - 1}, torch::kLong);
        const torch::Tensor two = targetActivations(model, images.index_select(0, ends), target, &c, 2, inner, s.device);
        if (!two.defined()) return two;  // cancelled
        if (torch::equal(two[0], two[1])) return two[0].unsqueeze(0).expand({n, two.size(1)}).contiguous();
    }
    return targetActivations(model, images, target, &c, s.batchSize, inner, s.device);
}

// A circuit per level, evaluated against the original activations: the curve's points.
Result<std::vector<CurvePoint>> evaluateLevels(const Model& model, const torch::Tensor& evalImages, const SweepSettings& s,
                                               const TargetSpec& target, Criterion criterion, const std::vector<UnitScores>& perLevel,
                                               const torch::Tensor& original, JobContext& inner) {
    std::vector<CurvePoint> points;
    for (size_t j = 0; j < s.sparsities.size(); ++j) {
        if (inner.cancelled()) return cancelledError();
        auto circuit = selectCircuit(model, perLevel[j], {s.sparsities[j], s.minmax, s.bias});
        if (!circuit) return circuit.error();
        const auto& c = circuit.value();
        const torch::Tensor f = circuitActivations(model, evalImages, s, target, c, inner);
        if (inner.cancelled()) return cancelledError();
        CurvePoint p{criterion, s.sparsities[j], c.relevant, c.keptCount, c.effectiveCount, c.disconnected};
        p.pearson = c.disconnected ? 0.0 : absPearson(original, f, s.pearson);
        p.dfnorm = deltaFNorm(original, f);
        p.unit = -1;
        points.push_back(p);
    }
    return points;
}

}  // namespace

const std::vector<double>& defaultSparsities() {
    static const std::vector<double> levels = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.01, 0.005, 0.001};
    return levels;
}

Result<std::vector<CurvePoint>> sweepCircuits(const Model& model, const torch::Tensor& scoreImages,
                                              const torch::Tensor& evalImages, const SweepSettings& s, JobContext& job) {
    if (auto st = checkSweep(model, s); !st) return st.error();
    return guarded<std::vector<CurvePoint>>("sweep", [&]() -> Result<std::vector<CurvePoint>> {
        std::vector<CurvePoint> points;
        JobContext inner(job.token());
        const torch::Tensor original = targetActivations(model, evalImages, s.target, nullptr, s.batchSize, inner, s.device);
        if (job.cancelled()) return cancelledError();
        const double total = double(s.criteria.size());
        for (size_t ci = 0; ci < s.criteria.size(); ++ci) {
            const std::string name = nameOf(s.criteria[ci]);
            job.progress("score " + name, ci / total);
            const ScoreOptions options{s.target, s.criteria[ci], s.batchSize, s.seed, s.device, s.granularity};
            auto perLevel = levelScores(model, scoreImages, s, options, inner);
            if (!perLevel) return perLevel.error();
            // Evaluated level by level, each point streamed as it comes (the GUI's live curve).
            SweepSettings one = s;
            for (size_t j = 0; j < s.sparsities.size(); ++j) {
                one.sparsities = {s.sparsities[j]};
                auto point = evaluateLevels(model, evalImages, one, s.target, s.criteria[ci], {perLevel.value()[j]}, original, inner);
                if (!point) return point.error();
                points.push_back(point.value().front());
                job.progress("evaluate " + name, (ci + double(j + 1) / s.sparsities.size()) / total, points.back());
            }
        }
        return points;
    });
}

Result<std::vector<CurvePoint>> sweepPopulation(const Model& model, const torch::Tensor& scoreImages,
                                                const torch::Tensor& evalImages, const SweepSettings& s,
                                                const std::vector<int64_t>& units, JobContext& job) {
    if (units.empty()) return invalidInput("no units to sweep");
    SweepSettings first = s;
    first.target.unit = units.front();
    first.target.direction.clear();
    if (auto st = checkSweep(model, first); !st) return st.error();
    return guarded<std::vector<CurvePoint>>("population sweep", [&]() -> Result<std::vector<CurvePoint>> {
        JobContext inner(job.token());
        const auto original = unitActivations(model, evalImages, first.target, units, s.batchSize, inner, s.device);
        if (job.cancelled()) return cancelledError();
        std::vector<std::vector<CurvePoint>> perUnit(units.size());
        const double criteria = double(s.criteria.size());
        for (size_t ci = 0; ci < s.criteria.size(); ++ci) {
            const Criterion criterion = s.criteria[ci];
            const ScoreOptions options{first.target, criterion, s.batchSize, s.seed, s.device, s.granularity};
            // Each criterion's share of the progress: its shared scoring pass (a quarter, for the
            // gradient criteria), then its units' evaluations.
            const bool gradients = criterion == Criterion::ActGrad || criterion == Criterion::Snip;
            const double scoring = gradients ? 0.25 : 0.0;
            const std::string stage = "score " + std::string(nameOf(criterion));
            job.progress(stage, double(ci) / criteria);
            JobContext scoringJob(job.token());
            scoringJob.onProgress = [&](const Progress& p) { job.progress(stage, (double(ci) + scoring * p.fraction) / criteria); };
            std::vector<UnitScores> shared;  // ActGrad, SNIP, magnitude, random: every unit from one run
            if (criterion != Criterion::Force) {
                auto scored = scorePopulation(model, scoreImages, options, units, scoringJob);
                if (!scored) return scored.error();
                shared = scored.take();
            }
            for (size_t u = 0; u < units.size(); ++u) {
                if (job.cancelled()) return cancelledError();
                TargetSpec target = first.target;
                target.unit = units[u];
                std::vector<UnitScores> perLevel;
                if (criterion == Criterion::Force) {  // FORCE's schedule is the unit's own
                    ScoreOptions own = options;
                    own.target = target;
                    auto levels = levelScores(model, scoreImages, s, own, inner);
                    if (!levels) return levels.error();
                    perLevel = levels.take();
                } else {
                    perLevel.assign(s.sparsities.size(), std::move(shared[u]));
                }
                auto points = evaluateLevels(model, evalImages, s, target, criterion, perLevel, original[u], inner);
                if (!points) return points.error();
                for (auto& p : points.value()) {
                    p.unit = units[u];
                    perUnit[u].push_back(p);
                    job.progress("evaluate", (double(ci) + scoring + (1 - scoring) * double(u + 1) / double(units.size())) / criteria, p);
                }
            }
        }
        std::vector<CurvePoint> points;
        for (const auto& list : perUnit) points.insert(points.end(), list.begin(), list.end());
        return points;
    });
}

}  // namespace cx::engine
