// Circuit selection (exact top-k, ties, min-max), bias modes and preservation metrics.
#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/data/internal/image_set.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/circuit.h"
#include "engine/pruning/internal/preservation.h"
#include "engine/pruning/pruning.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

std::shared_ptr<Model> load(const std::string& name) { return Model::load(cx::test::modelPath(name)).value(); }

UnitScores score(const Model& m, const std::string& target, Criterion c, const torch::Tensor& images) {
    ScoreOptions opt;
    opt.target = parseTarget(target).value();
    opt.criterion = c;
    JobContext job;
    return scoreKernels(m, images, opt, job).take();
}

}  // namespace

TEST(Circuit, KeepsExactlyKOfTheHighestScores) {
    auto m = load("residual");
    torch::manual_seed(3);
    auto s = score(*m, "head:0", Criterion::ActGrad, torch::randn({6, 3, 16, 16}));
    ASSERT_EQ(s.relevantCount, 84);
    for (double sparsity : {1.0, 0.5, 0.3, 0.01}) {
        auto c = selectCircuit(*m, s, {sparsity, false, BiasMode::Masked});
        ASSERT_TRUE(c.ok()) << c.error().message;
        const int64_t k = std::max<int64_t>(1, std::llround(sparsity * 84));
        EXPECT_EQ(c.value().keptCount, k);
        int64_t kept = 0;
        double minKept = 1e30, maxDropped = -1;
        for (const auto& [l, mask] : c.value().kept) {
            kept += mask.sum().item<int64_t>();
            EXPECT_FALSE((mask & ~s.relevant.at(l)).any().item<bool>());  // kept is within relevant
            auto sc = s.scores.at(l);
            if (mask.any().item<bool>()) minKept = std::min(minKept, sc.masked_select(mask).min().item<double>());
            auto dropped = s.relevant.at(l) & ~mask;
            if (dropped.any().item<bool>()) maxDropped = std::max(maxDropped, sc.masked_select(dropped).max().item<double>());
        }
        EXPECT_EQ(kept, k);
        EXPECT_GE(minKept, maxDropped);
    }
}

TEST(Circuit, TiesGoToTheEarlierLayerAndIndex) {
    auto m = load("concat");
    auto s = score(*m, "merge:1", Criterion::Magnitude, torch::zeros({1, 3, 8, 8}));
    for (auto& [l, t] : s.scores) t = s.relevant.at(l).to(torch::kFloat32);  // every relevant kernel scores 1
    auto c = selectCircuit(*m, s, {8.0 / 28.0, false, BiasMode::Masked}).take();
    const int a = m->summary().indexOf("a"), b = m->summary().indexOf("b");
    EXPECT_EQ(c.kept.at(a).sum().item<int64_t>(), 6);  // all of a (2 x 3), then the first 2 of b
    EXPECT_TRUE(c.kept.at(b)[0][0].item<bool>());
    EXPECT_TRUE(c.kept.at(b)[0][1].item<bool>());
    EXPECT_EQ(c.kept.at(b).sum().item<int64_t>(), 2);
    // Nothing in merge is kept: the circuit cannot reach the target.
    EXPECT_TRUE(c.disconnected);
    EXPECT_EQ(c.effectiveCount, 0);
}

TEST(Circuit, MinMaxNormalisationRanksWithinLayers) {
    auto m = load("chain");
    auto s = score(*m, "features.5:0", Criterion::Magnitude, torch::zeros({1, 3, 16, 16}));
    auto norm = minMaxNormalised(s);
    for (const auto& [l, t] : norm) {
        auto values = t.masked_select(s.relevant.at(l));
        EXPECT_FLOAT_EQ(values.max().item<float>(), 1.0f);
        EXPECT_FLOAT_EQ(values.min().item<float>(), 0.0f);
    }
}

TEST(Circuit, FullCircuitPreservesTheTargetExactly) {
    auto m = load("chain");
    torch::manual_seed(4);
    auto images = torch::randn({5, 3, 16, 16});
    auto s = score(*m, "features.5:3", Criterion::ActGrad, images);
    auto c = selectCircuit(*m, s, {1.0, false, BiasMode::Masked}).take();
    EXPECT_EQ(c.effectiveCount, c.relevant);
    JobContext job;
    auto target = parseTarget("features.5:3").value();
    auto original = targetActivations(*m, images, target, nullptr, 2, job);
    auto circuit = targetActivations(*m, images, target, &c, 3, job);
    EXPECT_TRUE(torch::allclose(original, circuit, 1e-6, 1e-6));
    EXPECT_NEAR(absPearson(original, circuit, PearsonMode::Flattened), 1.0, 1e-9);
    EXPECT_NEAR(deltaFNorm(original, circuit), 0.0, 1e-6);
}

TEST(Circuit, PrunedBiasModeRemovesBiasesOfFiltersWithoutAnEffectiveKernel) {
    auto m = load("chain");
    auto s = score(*m, "features.5:0", Criterion::ActGrad, torch::randn({3, 3, 16, 16}));
    auto masked = selectCircuit(*m, s, {0.05, false, BiasMode::Masked}).take();
    auto pruned = selectCircuit(*m, s, {0.05, false, BiasMode::Pruned}).take();
    auto om = circuitOverrides(*m, masked), op = circuitOverrides(*m, pruned);
    EXPECT_EQ(om.params.size(), 3u);  // weights only
    ASSERT_EQ(op.params.size(), 6u);  // and the biases
    for (size_t k = 0; k < op.params.size(); ++k) {
        if (op.params[k].find(".bias") == std::string::npos) continue;
        const std::string layer = op.params[k].substr(0, op.params[k].size() - 5);
        // Dead ends included: a kept kernel on no input-to-target path does not keep its filter.
        const auto& kept = pruned.effective.at(m->summary().indexOf(layer));
        const auto bias = m->impl().param(op.params[k]);
        for (int64_t o = 0; o < kept.size(0); ++o) {
            const float expected = kept[o].any().item<bool>() ? bias[o].item<float>() : 0.0f;
            EXPECT_EQ(op.tensors[k][o].item<float>(), expected) << layer << " " << o;
        }
    }
}

TEST(Circuit, SparsityOutOfRange) {
    auto m = load("chain");
    auto s = score(*m, "features.5:0", Criterion::Magnitude, torch::zeros({1, 3, 16, 16}));
    for (double bad : {0.0, -0.1, 1.5}) {
        auto c = selectCircuit(*m, s, {bad, false, BiasMode::Masked});
        ASSERT_FALSE(c.ok());
        EXPECT_NE(c.error().message.find("sparsity must be in (0, 1]"), std::string::npos);
    }
}

TEST(Preservation, HandComputedValues) {
    auto orig = torch::tensor({1.0, 2.0, 3.0, 4.0}, torch::kFloat64).view({2, 2});
    auto circ = torch::tensor({2.0, 4.0, 6.0, 8.5}, torch::kFloat64).view({2, 2});
    // r = cov / (sd sd) over the 4 values, computed by hand.
    const double ma = 2.5, mb = 5.125;
    double sab = 0, saa = 0, sbb = 0;
    const double av[] = {1, 2, 3, 4}, bv[] = {2, 4, 6, 8.5};
    for (int i = 0; i < 4; ++i) {
        sab += (av[i] - ma) * (bv[i] - mb);
        saa += (av[i] - ma) * (av[i] - ma);
        sbb += (bv[i] - mb) * (bv[i] - mb);
    }
    EXPECT_NEAR(absPearson(orig, circ, PearsonMode::Flattened), sab / std::sqrt(saa * sbb), 1e-12);
    EXPECT_NEAR(absPearson(orig, -circ, PearsonMode::Flattened), sab / std::sqrt(saa * sbb), 1e-12);
    EXPECT_EQ(absPearson(orig, torch::ones_like(orig), PearsonMode::Flattened), 0.0);
    EXPECT_NEAR(absPearson(orig, circ, PearsonMode::ImageMax), 1.0, 1e-12);  // two points
    auto o2 = torch::tensor({1.0, 5.0, 2.0, 0.0}, torch::kFloat64).view({2, 2});
    auto c2 = torch::tensor({0.0, 4.0, 3.0, 1.0}, torch::kFloat64).view({2, 2});
    EXPECT_NEAR(deltaFNorm(o2, c2), (1.0 + 1.0) / 2.0 / 3.5, 1e-12);
}

TEST(ScoreJob, CancelMidwayReturnsPromptlyAndWritesNothing) {
    const std::string dir = cx::test::tempDir();
    ImageSet set;
    set.images = torch::randn({40, 3, 16, 16});
    ASSERT_TRUE(saveImages(dir + "/img.safetensors", set).ok());
    ScoreRequest req;
    req.model = cx::test::modelPath("chain");
    req.images = dir + "/img.safetensors";
    req.target = "features.5:1";
    req.batchSize = 2;
    req.out = dir + "/scores.safetensors";
    JobContext job;
    int batches = 0;
    job.onProgress = [&](const Progress& p) {
        if (p.stage == "score" && ++batches == 3) job.token()->cancel();
    };
    const auto start = std::chrono::steady_clock::now();
    auto r = runScore(req, job);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled);
    EXPECT_EQ(batches, 3);  // stopped at the next batch boundary
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);
    EXPECT_FALSE(std::filesystem::exists(req.out));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
}

TEST(Circuit, PerLayerQuotaRanksWithinEachLayer) {
    auto m = load("chain");
    auto s = score(*m, "features.5:0", Criterion::ActGrad, torch::randn({3, 3, 16, 16}));
    CircuitOptions options{0.25, false, BiasMode::Masked, true, 0.0};
    auto c = selectCircuit(*m, s, options).take();
    int64_t total = 0;
    for (const auto& [l, kept] : c.kept) {
        const auto& rel = s.relevant.at(l);
        const int64_t k = std::max<int64_t>(1, std::llround(0.25 * double(rel.sum().item<int64_t>())));
        EXPECT_EQ(kept.sum().item<int64_t>(), k) << l;  // features.5: 2 of 6, features.3: 6 of 24, features.0: 3 of 12
        total += k;
        auto sc = s.scores.at(l);
        auto dropped = rel & ~kept;
        if (dropped.any().item<bool>())
            EXPECT_GE(sc.masked_select(kept).min().item<float>(), sc.masked_select(dropped).max().item<float>());
    }
    EXPECT_EQ(c.keptCount, total);
}

TEST(Circuit, CumulativeSaliencyThreshold) {
    auto m = load("concat");
    auto s = score(*m, "merge:1", Criterion::Magnitude, torch::zeros({1, 3, 8, 8}));
    // Hand-made scores: merge row 1 gets 5, 3, 1, 1 and zeros; all other relevant kernels 0.
    for (auto& [l, t] : s.scores) t.zero_();
    const int merge = m->summary().indexOf("merge");
    s.scores[merge][1][0] = 5;
    s.scores[merge][1][1] = 3;
    s.scores[merge][1][2] = 1;
    s.scores[merge][1][3] = 1;
    auto c = selectCircuit(*m, s, {0.0, false, BiasMode::Masked, false, 0.8}).take();
    EXPECT_EQ(c.keptCount, 2);  // 5 + 3 = 8 of 10
    EXPECT_DOUBLE_EQ(c.sparsity, 2.0 / 28.0);
    EXPECT_EQ(selectCircuit(*m, s, {0.0, false, BiasMode::Masked, false, 0.81}).take().keptCount, 3);
    EXPECT_FALSE(selectCircuit(*m, s, {0.5, false, BiasMode::Masked, true, 0.5}).ok());
}

// Pruned bias on a batch-norm net: every filter with no effective kernel leaves the network,
// and so does what its batch-norm would add. The hand-pruned forward below removes those
// channels after the batch-norm (an independent way to say the same) and zeroes the kernels
// the circuit does not keep.
TEST(Circuit, PrunedBiasEqualsTheHandPrunedBatchNormNetwork) {
    auto m = load("residual");
    torch::manual_seed(12);
    auto images = torch::randn({5, 3, 16, 16});
    auto s = score(*m, "head:1", Criterion::ActGrad, images);
    auto c = selectCircuit(*m, s, {0.1, false, BiasMode::Pruned}).take();
    const auto& summary = m->summary();
    const int stem = summary.indexOf("stem");
    ASSERT_EQ(summary.layers[size_t(stem)].normWeightParam, "bn.weight");
    auto alive = c.effective.at(stem).any(1).to(torch::kFloat32);
    ASSERT_LT(alive.sum().item<float>(), 4.0f) << "the test needs a removed stem filter";
    auto p = [&](const std::string& name) { return m->impl().param(name); };
    auto kept = [&](const std::string& layer) {
        const int l = summary.indexOf(layer);
        auto w = p(layer + ".weight");
        auto units = c.effective.count(l) ? c.effective.at(l) : torch::ones({w.size(0), w.size(1)}, torch::kBool);
        return w * units.to(w.dtype()).view({w.size(0), w.size(1), 1, 1});
    };
    auto rowBias = [&](const std::string& layer) {
        const int l = summary.indexOf(layer);
        auto b = p(layer + ".bias");
        return c.effective.count(l) ? b * c.effective.at(l).any(1).to(b.dtype()) : b;
    };
    auto bn = m->impl().module.attr("bn").toModule();
    torch::NoGradGuard noGrad;
    auto x = torch::conv2d(images, kept("stem"), rowBias("stem"), 1, 1);
    x = torch::batch_norm(x, bn.attr("weight").toTensor(), bn.attr("bias").toTensor(), bn.attr("running_mean").toTensor(),
                          bn.attr("running_var").toTensor(), false, 0.1, 1e-5, false);
    x = torch::relu(x * alive.view({1, -1, 1, 1}));  // removed channels output nothing
    auto y = torch::conv2d(torch::relu(torch::conv2d(x, kept("branch1"), rowBias("branch1"), 2, 2, 2)), kept("branch2"),
                           rowBias("branch2"), 1, 1, 1, 2);
    x = torch::relu(y + torch::conv2d(x, kept("shortcut"), rowBias("shortcut"), 2));
    const int head = summary.indexOf("head");
    auto headW = p("head.weight") * c.effective.at(head).to(torch::kFloat32);
    auto expected = torch::linear(x.mean({2, 3}), headW, rowBias("head")).select(1, 1);
    JobContext job;
    auto got = targetActivations(*m, images, parseTarget("head:1").value(), &c, 5, job);
    EXPECT_TRUE(torch::allclose(got.flatten().to(torch::kFloat32), expected, 1e-4, 1e-6))
        << (got.flatten().to(torch::kFloat32) - expected).abs().max().item<double>();
}
