// FORCE schedule and re-scoring, sweeps, and mask IoU.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/io/safetensors.h"
#include "engine/masks/mask_iou.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/circuit.h"
#include "engine/pruning/internal/circuit_files.h"
#include "engine/pruning/internal/force.h"
#include "engine/pruning/internal/scoring.h"
#include "engine/pruning/internal/sweep.h"
#include "engine/pruning/pruning.h"
#include "test_util.h"

using namespace cx::engine;

namespace {
std::shared_ptr<Model> load(const std::string& name) { return Model::load(cx::test::modelPath(name)).value(); }
}  // namespace

TEST(Force, ScheduleIsExponentialFromRelevantToFinal) {
    auto k = forceSchedule(1000, 10, 10);
    ASSERT_EQ(k.size(), 10u);
    for (int t = 1; t <= 10; ++t)
        EXPECT_EQ(k[size_t(t - 1)], std::llround(std::exp((t / 10.0) * std::log(10.0) + (1 - t / 10.0) * std::log(1000.0))));
    EXPECT_EQ(k[0], 631);  // 1000 * 10^-0.2
    EXPECT_EQ(k[4], 100);
    EXPECT_EQ(k[9], 10);
}

TEST(Force, MaskedScoringReScoresMaskedKernels) {
    auto m = load("chain");
    torch::manual_seed(6);
    auto images = torch::randn({4, 3, 16, 16});
    ScoreOptions opt;
    opt.target = parseTarget("features.5:2").value();
    opt.criterion = Criterion::Snip;
    JobContext job;
    auto plain = scoreKernels(*m, images, opt, job).take();
    // An all-ones mask is the plain network.
    std::map<int, torch::Tensor> ones, half;
    for (const auto& [l, rel] : plain.relevant) ones[l] = torch::ones(rel.sizes(), torch::kBool);
    auto same = scoreKernels(*m, images, opt, job, &ones).take();
    for (const auto& [l, s] : plain.scores) EXPECT_TRUE(torch::allclose(s, same.scores.at(l), 1e-5, 1e-8)) << l;
    // Masking features.3's first two units changes the gradients, yet the masked kernels still get scores.
    half = ones;
    half[1].narrow(0, 0, 2).fill_(false);
    auto masked = scoreKernels(*m, images, opt, job, &half).take();
    EXPECT_GT(masked.scores.at(1).narrow(0, 0, 2).abs().sum().item<float>(), 0.0f);
    EXPECT_FALSE(torch::allclose(masked.scores.at(0), plain.scores.at(0)));
}

namespace {

// The paper's schedule written out independently: SNIP through each step's mask, the mask of
// the next step the k_t best relevant units by a plain sort (ties to the lower layer and index).
std::map<int, torch::Tensor> referenceForceCircuit(const Model& m, const torch::Tensor& images, const TargetSpec& target,
                                                   double sparsity, int steps) {
    ScoreOptions opt;
    opt.target = target;
    opt.criterion = Criterion::Snip;
    opt.batchSize = 3;
    JobContext job;
    auto scores = scoreKernels(m, images, opt, job).take();
    const int64_t total = scores.relevantCount;
    const int64_t k = std::max<int64_t>(1, std::llround(sparsity * double(total)));
    std::map<int, torch::Tensor> mask;
    for (int t = 1; t <= steps; ++t) {
        const double f = double(t) / steps;
        const int64_t keep = std::llround(std::exp(f * std::log(double(k)) + (1 - f) * std::log(double(total))));
        std::vector<std::tuple<float, int, int64_t>> ranked;  // (-score, layer, flat index)
        for (const auto& [l, rel] : scores.relevant) {
            auto r = rel.flatten();
            auto v = scores.scores.at(l).flatten();
            for (int64_t i = 0; i < r.numel(); ++i)
                if (r[i].item<bool>()) ranked.emplace_back(-v[i].item<float>(), l, i);
        }
        std::sort(ranked.begin(), ranked.end());
        mask.clear();
        for (const auto& [l, rel] : scores.relevant) mask[l] = torch::zeros({rel.numel()}, torch::kBool);
        for (int64_t i = 0; i < keep; ++i) mask[std::get<1>(ranked[size_t(i)])][std::get<2>(ranked[size_t(i)])] = true;
        for (auto& [l, grid] : mask) grid = grid.view(scores.relevant.at(l).sizes());
        if (t < steps) scores = scoreKernels(m, images, opt, job, &mask).take();
    }
    return mask;
}

}  // namespace

TEST(Force, CircuitEqualsAnIndependentScheduleAndNoLevelDependsOnAnother) {
    auto m = load("residual");
    torch::manual_seed(7);
    auto images = torch::randn({6, 3, 16, 16});
    ScoreOptions opt;
    opt.target = parseTarget("head:1").value();
    opt.batchSize = 4;
    JobContext job;
    const std::vector<double> levels = {1.0, 0.5, 0.1, 0.02};
    auto together = forceScores(*m, images, opt, levels, {}, job).take();
    ASSERT_EQ(together.size(), 4u);
    for (size_t j = 0; j < levels.size(); ++j) {
        auto circuit = selectCircuit(*m, together[j], {levels[j]}).take();
        auto expected = referenceForceCircuit(*m, images, opt.target, levels[j], 10);
        for (const auto& [l, kept] : circuit.kept) EXPECT_TRUE(kept.equal(expected.at(l))) << levels[j] << " layer " << l;
        // Alone, a level gives the same scores: its schedule runs from all relevant kernels.
        auto alone = forceScores(*m, images, opt, {levels[j]}, {}, job).take();
        for (const auto& [l, s] : alone.front().scores)
            EXPECT_TRUE(torch::allclose(s, together[j].scores.at(l), 1e-6, 1e-9)) << levels[j] << " layer " << l;
    }
    // The full level keeps every kernel at each step: plain SNIP.
    opt.criterion = Criterion::Snip;
    auto snip = scoreKernels(*m, images, opt, job).take();
    for (const auto& [l, s] : snip.scores) EXPECT_TRUE(torch::allclose(together[0].scores.at(l), s, 1e-5, 1e-8)) << l;
    // 0.5 is no longer SNIP (before, every level above the schedule's first count was).
    bool differs = false;
    for (const auto& [l, s] : snip.scores) differs = differs || !torch::allclose(together[1].scores.at(l), s);
    EXPECT_TRUE(differs);
}

TEST(Force, MinMaxRanksEveryStep) {
    auto m = load("residual");
    torch::manual_seed(9);
    auto images = torch::randn({4, 3, 16, 16});
    ScoreOptions opt;
    opt.target = parseTarget("head:0").value();
    JobContext job;
    auto plain = forceScores(*m, images, opt, {0.05}, {false, 10}, job).take();
    auto ranked = forceScores(*m, images, opt, {0.05}, {true, 10}, job).take();
    bool differs = false;
    for (const auto& [l, s] : plain.front().scores) differs = differs || !torch::allclose(ranked.front().scores.at(l), s);
    EXPECT_TRUE(differs);
    EXPECT_NE(scoreKernels(*m, images, [&] { auto o = opt; o.criterion = Criterion::Force; return o; }(), job)
                  .error().message.find("sparsity"), std::string::npos);
}

TEST(Sweep, CurvesForSeveralCriteria) {
    auto m = load("chain");
    torch::manual_seed(8);
    auto images = torch::randn({12, 3, 16, 16});
    SweepSettings s;
    s.target = parseTarget("features.5:0").value();
    s.criteria = {Criterion::ActGrad, Criterion::Force, Criterion::Random};
    s.sparsities = {1.0, 0.5, 0.05};
    s.batchSize = 5;
    JobContext job;
    std::vector<double> progress;
    job.onProgress = [&](const Progress& p) { progress.push_back(p.fraction); };
    auto points = sweepCircuits(*m, images, images, s, job);
    ASSERT_TRUE(points.ok()) << points.error().message;
    ASSERT_EQ(points.value().size(), 9u);
    for (const auto& p : points.value()) {
        EXPECT_EQ(p.relevant, 42);
        EXPECT_EQ(p.kept, std::max<int64_t>(1, std::llround(p.sparsity * 42)));
        EXPECT_LE(p.effectiveKept, p.kept);
        if (p.sparsity == 1.0) EXPECT_NEAR(p.pearson, 1.0, 1e-9) << nameOf(p.criterion);
        if (p.disconnected) EXPECT_EQ(p.pearson, 0.0);
        EXPECT_GE(p.pearson, 0.0);
        EXPECT_LE(p.pearson, 1.0 + 1e-9);
    }
    EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
    // Criteria are typed: an unknown name is refused where it is parsed, naming it.
    EXPECT_NE(parseCriterion("telepathy").error().message.find("unknown criterion 'telepathy'"), std::string::npos);
    auto bad = s;
    bad.criteria.clear();
    EXPECT_NE(sweepCircuits(*m, images, images, bad, job).error().message.find("no criteria given"), std::string::npos);
}

TEST(Iou, HandBuiltMasks) {
    const std::string dir = cx::test::tempDir();
    auto write = [&](const std::string& name, std::vector<uint8_t> a, std::vector<uint8_t> b, const std::string& model) {
        SafetensorsFile f;
        f.metadata = {{"format", "cx-mask/1"}, {"granularity", "kernel"}, {"model_sha256", model}};
        f.tensors["mask/l1.weight"] = {DType::U8, {2, 2}, std::move(a)};
        f.tensors["mask/l2.weight"] = {DType::U8, {3}, std::move(b)};
        EXPECT_TRUE(writeSafetensors(dir + "/" + name, f).ok());
        return dir + "/" + name;
    };
    auto a = write("a.safetensors", {1, 1, 0, 0}, {0, 0, 0}, "m1");
    auto b = write("b.safetensors", {1, 0, 1, 0}, {0, 0, 0}, "m1");
    auto r = maskIoU(a, b);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r.value().size(), 2u);
    EXPECT_EQ(r.value()[0].param, "l1.weight");
    EXPECT_EQ(r.value()[0].both, 1);
    EXPECT_EQ(r.value()[0].onlyA, 1);
    EXPECT_EQ(r.value()[0].onlyB, 1);
    EXPECT_DOUBLE_EQ(r.value()[0].iou, 1.0 / 3.0);
    EXPECT_TRUE(std::isnan(r.value()[1].iou));  // both empty: undefined, not 1
    auto other = write("c.safetensors", {1, 1, 1, 1}, {1, 1, 1}, "m2");
    EXPECT_NE(maskIoU(a, other).error().message.find("different models"), std::string::npos);
}
