// Filter and weight granularities against plain per-image computations on the chain model
// (conv 3->4, pool, conv 4->6, conv 6->5; 3x3 kernels, padding 1).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/io/safetensors.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/circuit.h"
#include "engine/pruning/internal/circuit_files.h"
#include "engine/pruning/internal/scoring.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

struct Acts {
    torch::Tensor a0, y0, a3, y3, y5;
};

// The chain's forward by hand; y0 and y3 keep gradients.
Acts forward(const Model& m, const torch::Tensor& x) {
    auto p = [&](const char* name) { return m.impl().param(name); };
    Acts r;
    r.a0 = x;
    r.y0 = torch::conv2d(x, p("features.0.weight"), p("features.0.bias"), 1, 1);
    r.a3 = torch::max_pool2d(torch::relu(r.y0), 2);
    r.y3 = torch::conv2d(r.a3, p("features.3.weight"), p("features.3.bias"), 1, 1);
    r.y5 = torch::conv2d(torch::relu(r.y3), p("features.5.weight"), p("features.5.bias"), 1, 1);
    return r;
}

UnitScores score(const Model& m, const torch::Tensor& images, Criterion c, Granularity g) {
    ScoreOptions opt;
    opt.target = parseTarget("features.5:2").value();
    opt.criterion = c;
    opt.granularity = g;
    opt.batchSize = 3;
    JobContext job;
    return scoreKernels(m, images, opt, job).take();
}

}  // namespace

TEST(Granularity, FilterAndWeightActGradMatchThePlainFormulas) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    torch::manual_seed(12);
    auto images = torch::randn({5, 3, 12, 12});
    auto filters = score(*m, images, Criterion::ActGrad, Granularity::Filter);
    auto weights = score(*m, images, Criterion::ActGrad, Granularity::Weight);
    const auto w0 = m->impl().param("features.0.weight");
    auto filterRef = torch::zeros({6}, torch::kDouble);
    auto weightRef = torch::zeros({4, 3, 3, 3}, torch::kDouble);
    for (int64_t n = 0; n < images.size(0); ++n) {
        auto x = images.narrow(0, n, 1).clone().requires_grad_(true);  // the model's own weights are frozen
        auto acts = forward(*m, x);
        auto grads = torch::autograd::grad({acts.y5[0][2].abs().sum()}, {acts.y0, acts.y3});
        torch::NoGradGuard ng;
        // Filter: sum_n mean_p |y g| for each features.3 filter.
        filterRef += (acts.y3 * grads[1]).abs().mean({2, 3})[0].to(torch::kDouble);
        // Weight: sum_n mean_p |w_t a_i(p + t) g_o(p)|, tap by tap over the padded input.
        auto padded = torch::constant_pad_nd(acts.a0.detach(), {1, 1, 1, 1});
        const int64_t h = x.size(2), wd = x.size(3);
        for (int64_t o = 0; o < 4; ++o)
            for (int64_t i = 0; i < 3; ++i)
                for (int64_t kh = 0; kh < 3; ++kh)
                    for (int64_t kw = 0; kw < 3; ++kw) {
                        auto window = padded[0][i].narrow(0, kh, h).narrow(1, kw, wd);
                        weightRef[o][i][kh][kw] += (w0[o][i][kh][kw] * window * grads[0][0][o]).abs().mean().item<double>();
                    }
    }
    EXPECT_TRUE(torch::allclose(filters.scores.at(1).to(torch::kDouble), filterRef, 1e-4, 1e-7));
    EXPECT_EQ(filters.scores.at(1).sizes(), (std::vector<int64_t>{6}));
    EXPECT_EQ(filters.relevantCount, 1 + 6 + 4);  // the target filter, all of features.3 and features.0
    EXPECT_TRUE(torch::allclose(weights.scores.at(0).to(torch::kDouble), weightRef, 1e-4, 1e-7));
    EXPECT_EQ(weights.relevantCount, (6 + 24 + 12) * 9);
}

TEST(Granularity, SnipUnitsAverageThePerWeightScores) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    torch::manual_seed(13);
    auto images = torch::randn({4, 3, 12, 12});
    auto weights = score(*m, images, Criterion::Snip, Granularity::Weight);
    auto kernels = score(*m, images, Criterion::Snip, Granularity::Kernel);
    auto filters = score(*m, images, Criterion::Snip, Granularity::Filter);
    // Per weight: sum_n |w dL_n/dw| from autograd, one image at a time.
    auto w3 = m->impl().param("features.3.weight");
    auto ref = torch::zeros_like(w3);
    for (int64_t n = 0; n < images.size(0); ++n) {
        auto leaf = w3.clone().requires_grad_(true);
        auto p = [&](const char* name) { return m->impl().param(name); };
        auto a3 = torch::max_pool2d(torch::relu(torch::conv2d(images.narrow(0, n, 1), p("features.0.weight"), p("features.0.bias"), 1, 1)), 2);
        auto y5 = torch::conv2d(torch::relu(torch::conv2d(a3, leaf, p("features.3.bias"), 1, 1)), p("features.5.weight"),
                                p("features.5.bias"), 1, 1);
        auto g = torch::autograd::grad({y5[0][2].abs().sum()}, {leaf})[0];
        ref += (w3 * g).abs();
    }
    EXPECT_TRUE(torch::allclose(weights.scores.at(1), ref, 1e-4, 1e-7));
    EXPECT_TRUE(torch::allclose(kernels.scores.at(1), ref.mean({2, 3}), 1e-4, 1e-7));
    EXPECT_TRUE(torch::allclose(filters.scores.at(1), ref.mean({1, 2, 3}), 1e-4, 1e-7));
}

TEST(Granularity, FilterCircuitsMaskWholeFiltersAndRoundTrip) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    torch::manual_seed(14);
    auto s = score(*m, torch::randn({4, 3, 12, 12}), Criterion::ActGrad, Granularity::Filter);
    auto c = selectCircuit(*m, s, {0.5, false, BiasMode::Masked}).take();
    EXPECT_EQ(c.keptCount, std::llround(0.5 * 11));
    auto overrides = circuitOverrides(*m, c);
    for (size_t k = 0; k < overrides.params.size(); ++k) {
        const int layer = m->summary().indexOf(overrides.params[k].substr(0, overrides.params[k].size() - 7));
        const auto& kept = c.kept.at(layer);
        for (int64_t o = 0; o < kept.size(0); ++o) {
            const bool zero = overrides.tensors[k][o].abs().sum().item<float>() == 0.0f;
            EXPECT_EQ(zero, !kept[o].item<bool>()) << overrides.params[k] << " filter " << o;
        }
    }
    const std::string path = cx::test::tempDir() + "/filters.safetensors";
    ASSERT_TRUE(writeMaskFile(path, *m, c, s, {{"target", "features.5:2"}}).ok());
    auto file = readSafetensors(path).take();
    EXPECT_EQ(file.metadata.at("granularity"), "filter");
    EXPECT_EQ(file.tensors.at("mask/features.3.weight").shape, (std::vector<int64_t>{6}));
    ASSERT_TRUE(writeScoresFile(path, *m, s, {{"target", "features.5:2"}, {"method", "actgrad"}}).ok());
    auto back = readScoresFile(path, *m);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back.value().scores.granularity, Granularity::Filter);
    EXPECT_EQ(back.value().scores.relevantCount, s.relevantCount);
    for (const auto& [l, t] : s.scores) EXPECT_TRUE(torch::equal(back.value().scores.scores.at(l), t));
}

TEST(Granularity, WeightCircuitsKeepExactlyKWeights) {
    auto m = Model::load(cx::test::modelPath("residual")).take();
    ScoreOptions opt;
    opt.target = parseTarget("head:0").value();
    opt.criterion = Criterion::Magnitude;
    opt.granularity = Granularity::Weight;
    JobContext job;
    auto s = scoreKernels(*m, torch::zeros({1, 3, 16, 16}), opt, job).take();
    EXPECT_EQ(s.relevantCount, 6 + 18 * 9 + 24 * 9 + 24 + 12 * 9);  // head, branch2 (grouped), branch1, 1x1 shortcut, stem
    auto c = selectCircuit(*m, s, {0.1, false, BiasMode::Masked}).take();
    int64_t kept = 0;
    for (const auto& [l, k] : c.kept) kept += k.sum().item<int64_t>();
    EXPECT_EQ(kept, std::llround(0.1 * double(s.relevantCount)));
    EXPECT_LE(c.effectiveCount, kept);
}
