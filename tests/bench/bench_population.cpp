// Populations: a 48-unit sweep of the demo CNN's features.conv4 (every unit) against a sweep of
// one of its units alone, on the same images and settings (ActGrad, SNIP, magnitude, random; the
// 13 default levels). Prints the per-unit cost ratio (issue 14's aim: <= 0.4) and checks that the
// population's rows for that unit equal its own sweep exactly; also the same for scoring alone.
//   cmake --build build --target cx_bench_population && build/tests/bench/cx_bench_population [IMAGES]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <torch/torch.h>

#include "engine/data/internal/shapes_render.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/model.h"
#include "engine/model/target.h"
#include "engine/pruning/internal/circuit.h"
#include "engine/pruning/internal/preservation.h"
#include "engine/pruning/internal/scoring.h"
#include "engine/pruning/internal/sweep.h"

using namespace cx::engine;

namespace {

double seconds(const std::chrono::steady_clock::time_point& t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Where one point of a sweep spends its time (unit 27, ActGrad, 10% kept): the circuit's
// selection, its masked weights, the truncated plan's build, the forward passes and the metrics.
void printEvaluationBreakdown(const Model& m, const torch::Tensor& images, const SweepSettings& settings) {
    JobContext job;
    auto scores = scoreKernels(m, images, ScoreOptions{settings.target}, job);
    if (!scores) return;
    const auto original = targetActivations(m, images, settings.target, nullptr, settings.batchSize, job);
    const int rounds = 5;
    double select = 0, overrides = 0, build = 0, forward = 0, metrics = 0;
    for (int r = 0; r < rounds; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        auto circuit = selectCircuit(m, scores.value(), {0.1, false, BiasMode::Masked});
        select += seconds(t0);
        t0 = std::chrono::steady_clock::now();
        const Overrides o = circuitOverrides(m, circuit.value());
        overrides += seconds(t0);
        t0 = std::chrono::steady_clock::now();
        const int layer = m.summary().indexOf(settings.target.layer);
        auto plan = ForwardPlan::build(m, {{layer, ProbeSide::Output}}, false, o.params);
        build += seconds(t0);
        t0 = std::chrono::steady_clock::now();
        torch::NoGradGuard noGrad;
        std::vector<torch::Tensor> parts;
        for (int64_t b = 0; b < images.size(0); b += settings.batchSize) {
            const int64_t n = std::min(settings.batchSize, images.size(0) - b);
            auto y = plan.value().run({images.narrow(0, b, n)}, o.tensors).probes[0];
            parts.push_back(targetFeature(y, m.summary().layers[size_t(layer)], settings.target).to(torch::kFloat64));
        }
        const auto f = torch::cat(parts);
        forward += seconds(t0);
        t0 = std::chrono::steady_clock::now();
        volatile double sink = absPearson(original, f, PearsonMode::Flattened) + deltaFNorm(original, f);
        (void)sink;
        metrics += seconds(t0);
    }
    const double total = select + overrides + build + forward + metrics;
    std::printf("one sweep point (unit 27, ActGrad, 10%%), %.1f ms: select %.0f%%, masked weights %.0f%%, plan build %.0f%%, "
                "forward %.0f%%, metrics %.0f%%\n",
                1000 * total / rounds, 100 * select / total, 100 * overrides / total, 100 * build / total, 100 * forward / total,
                100 * metrics / total);
}

}  // namespace

int main(int argc, char** argv) {
    const int64_t count = argc > 1 ? std::atoll(argv[1]) : 128;
    auto model = Model::load(CX_DEMO_MODEL);
    if (!model) return std::fprintf(stderr, "%s\n", model.error().message.c_str()), 1;
    const auto& m = *model.value();
    const torch::Tensor images = generateShapes({count, 5, 64}).images;
    std::vector<int64_t> units;
    for (int64_t u = 0; u < 48; ++u) units.push_back(u);
    SweepSettings settings;
    settings.target = parseTarget("features.conv4:27").value();
    settings.criteria = {Criterion::ActGrad, Criterion::Snip, Criterion::Magnitude, Criterion::Random};
    settings.sparsities = defaultSparsities();
    JobContext job;
    printEvaluationBreakdown(m, images, settings);

    // Scoring alone: 48 units from shared forwards, against one unit's own pass.
    ScoreOptions score{settings.target};
    auto t0 = std::chrono::steady_clock::now();
    if (!scoreKernels(m, images, score, job)) return 1;
    const double oneScore = seconds(t0);
    t0 = std::chrono::steady_clock::now();
    if (!scorePopulation(m, images, score, units, job)) return 1;
    const double populationScore = seconds(t0);
    std::printf("ActGrad scoring, %lld images: one unit %.3f s; 48 units %.3f s = %.3f s per unit (%.2fx one unit)\n",
                (long long)count, oneScore, populationScore, populationScore / 48, populationScore / 48 / oneScore);

    double single = 1e30;
    std::vector<CurvePoint> own;
    for (int round = 0; round < 2; ++round) {
        t0 = std::chrono::steady_clock::now();
        auto swept = sweepCircuits(m, images, images, settings, job);
        if (!swept) return std::fprintf(stderr, "%s\n", swept.error().message.c_str()), 1;
        single = std::min(single, seconds(t0));
        own = swept.take();
    }
    t0 = std::chrono::steady_clock::now();
    auto population = sweepPopulation(m, images, images, settings, units, job);
    if (!population) return std::fprintf(stderr, "%s\n", population.error().message.c_str()), 1;
    const double all = seconds(t0);
    bool equal = true;
    const size_t perUnit = own.size();
    for (size_t k = 0; k < perUnit; ++k) {
        const auto& p = population.value()[27 * perUnit + k];
        equal = equal && p.unit == 27 && p.pearson == own[k].pearson && p.dfnorm == own[k].dfnorm && p.kept == own[k].kept;
    }
    std::printf("sweep (4 criteria x 13 levels), %lld images: one unit %.2f s; 48 units %.2f s = %.3f s per unit "
                "(%.2fx one unit; aim <= 0.4x); unit 27's rows equal its own sweep: %s\n",
                (long long)count, single, all, all / 48, all / 48 / single, equal ? "yes" : "NO");
    return equal ? 0 : 1;
}
