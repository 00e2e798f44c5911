// Kernel scores against an independent plain computation: hand-written forwards of the test
// models, one image at a time, one input channel at a time, the formulas of DESIGN.md section 3.
#include <functional>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/scoring.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

struct Layer {
    std::string name;
    torch::Tensor weight;  // a leaf requiring grad (for per-image dL/dW)
    int64_t stride = 1, padding = 0, dilation = 1, groups = 1;
    bool linear = false;
};
using Acts = std::map<std::string, std::pair<torch::Tensor, torch::Tensor>>;  // name -> (input, output)
using Forward = std::function<Acts(const torch::Tensor&, std::map<std::string, Layer>&)>;

torch::Tensor conv(Acts& acts, const Layer& l, const torch::Tensor& x, const torch::Tensor& bias) {
    auto y = torch::conv2d(x, l.weight, bias, l.stride, l.padding, l.dilation, l.groups);
    acts[l.name] = {x, y};
    return y;
}

// The plain formulas, image by image and kernel by kernel.
std::map<std::string, torch::Tensor> reference(std::map<std::string, Layer>& layers, const Forward& forward,
                                               const torch::Tensor& images, const std::string& target, int64_t unit,
                                               bool snip) {
    std::map<std::string, torch::Tensor> scores;
    for (auto& [name, l] : layers) scores[name] = torch::zeros({l.weight.size(0), l.weight.size(1)});
    for (int64_t n = 0; n < images.size(0); ++n) {
        Acts acts = forward(images.narrow(0, n, 1), layers);
        auto y = acts.at(target).second;
        auto objective = y.dim() == 4 ? y[0][unit].abs().sum() : y[0][unit].abs();
        std::vector<torch::Tensor> wrt;
        for (auto& [name, l] : layers) wrt.push_back(snip ? l.weight : acts.at(name).second);
        auto grads = torch::autograd::grad({objective}, wrt, {}, false, false, true);
        size_t k = 0;
        torch::NoGradGuard ng;
        for (auto& [name, l] : layers) {
            auto g = grads[k++];
            if (!g.defined()) continue;
            auto& s = scores[name];
            const auto& a = acts.at(name).first;
            const int64_t out = l.weight.size(0), ipg = l.weight.size(1), opg = out / l.groups;
            for (int64_t o = 0; o < out; ++o)
                for (int64_t i = 0; i < ipg; ++i) {
                    if (snip) {
                        s[o][i] += (l.weight[o][i] * g[o][i]).abs().mean();
                    } else if (l.linear) {
                        s[o][i] += (l.weight[o][i] * a[0][i] * g[0][o]).abs();
                    } else {
                        const int64_t channel = (o / opg) * ipg + i;
                        auto z = torch::conv2d(a.narrow(1, channel, 1), l.weight.narrow(0, o, 1).narrow(1, i, 1), {},
                                               l.stride, l.padding, l.dilation);
                        s[o][i] += (z[0][0] * g[0][o]).abs().mean();
                    }
                }
        }
    }
    return scores;
}

void expectScoresMatch(const std::string& model, std::map<std::string, Layer> layers, const Forward& forward,
                       const std::string& target, int64_t unit, Criterion criterion, int64_t batch = 5) {
    auto m = Model::load(cx::test::modelPath(model)).value();
    torch::manual_seed(11);
    auto images = torch::randn({7, 3, 16, 16});
    ScoreOptions opt;
    opt.target = parseTarget(target + ":" + std::to_string(unit)).value();
    opt.criterion = criterion;
    opt.batchSize = batch;
    JobContext job;
    auto got = scoreKernels(*m, images, opt, job);
    ASSERT_TRUE(got.ok()) << got.error().message;
    auto expected = reference(layers, forward, images, target, unit, criterion == Criterion::Snip);
    for (auto& [name, s] : expected) {
        const int index = m->summary().indexOf(name);
        auto it = got.value().scores.find(index);
        if (s.abs().sum().item<double>() == 0.0) {
            EXPECT_TRUE(it == got.value().scores.end() || it->second.abs().sum().item<double>() == 0.0) << name;
            continue;
        }
        ASSERT_NE(it, got.value().scores.end()) << name;
        const auto masked = s * got.value().relevant.at(index);  // the target layer keeps only its row
        EXPECT_TRUE(torch::allclose(it->second, masked, 1e-4, 1e-7))
            << model << " " << name << " max diff " << (it->second - masked).abs().max().item<double>();
    }
}

torch::Tensor param(const Model& m, const std::string& p) { return m.impl().param(p); }

Layer leaf(const Model& m, const std::string& name, int64_t stride = 1, int64_t padding = 0, int64_t dilation = 1,
           int64_t groups = 1) {
    return {name, param(m, name + ".weight").clone().requires_grad_(true), stride, padding, dilation, groups};
}

std::map<std::string, Layer> chainLayers(const Model& m) {
    return {{"features.0", leaf(m, "features.0", 1, 1)}, {"features.3", leaf(m, "features.3", 1, 1)},
            {"features.5", leaf(m, "features.5", 1, 1)}};
}

Forward chainForward(const Model& m) {
    return [&m](const torch::Tensor& x, std::map<std::string, Layer>& L) {
        Acts acts;
        auto y = conv(acts, L["features.0"], x, param(m, "features.0.bias"));
        y = conv(acts, L["features.3"], torch::max_pool2d(torch::relu(y), 2), param(m, "features.3.bias"));
        conv(acts, L["features.5"], torch::relu(y), param(m, "features.5.bias"));
        return acts;
    };
}

std::map<std::string, Layer> residualLayers(const Model& m) {
    auto head = leaf(m, "head");
    head.linear = true;
    return {{"stem", leaf(m, "stem", 1, 1)}, {"branch1", leaf(m, "branch1", 2, 2, 2)},
            {"branch2", leaf(m, "branch2", 1, 1, 1, 2)}, {"shortcut", leaf(m, "shortcut", 2, 0)}, {"head", head}};
}

Forward residualForward(const Model& m) {
    return [&m](const torch::Tensor& x, std::map<std::string, Layer>& L) {
        Acts acts;
        auto bn = m.impl().module.attr("bn").toModule();
        auto s = conv(acts, L["stem"], x, param(m, "stem.bias"));
        s = torch::relu(torch::batch_norm(s, param(m, "bn.weight"), param(m, "bn.bias"), bn.attr("running_mean").toTensor(),
                                          bn.attr("running_var").toTensor(), false, 0.1, 1e-5, false));
        auto b = conv(acts, L["branch1"], s, param(m, "branch1.bias"));
        b = conv(acts, L["branch2"], torch::relu(b), param(m, "branch2.bias"));
        auto sc = conv(acts, L["shortcut"], s, param(m, "shortcut.bias"));
        auto h = torch::relu(b + sc).mean({2, 3});
        auto out = torch::linear(h, L["head"].weight, param(m, "head.bias"));
        acts["head"] = {h, out};
        return acts;
    };
}

std::map<std::string, Layer> concatLayers(const Model& m) {
    return {{"a", leaf(m, "a", 1, 1)}, {"b", leaf(m, "b")}, {"merge", leaf(m, "merge", 1, 1)}};
}

Forward concatForward(const Model& m) {
    return [&m](const torch::Tensor& x, std::map<std::string, Layer>& L) {
        Acts acts;
        auto a = torch::relu(conv(acts, L["a"], x, param(m, "a.bias")));
        auto b = torch::relu(conv(acts, L["b"], x, param(m, "b.bias")));
        conv(acts, L["merge"], torch::cat({a, b}, 1), param(m, "merge.bias"));
        return acts;
    };
}

}  // namespace

TEST(Saliency, ActGradChainMatchesThePlainFormula) {
    auto m = Model::load(cx::test::modelPath("chain")).value();
    expectScoresMatch("chain", chainLayers(*m), chainForward(*m), "features.5", 2, Criterion::ActGrad);
}

TEST(Saliency, SnipChainMatchesThePlainFormula) {
    auto m = Model::load(cx::test::modelPath("chain")).value();
    expectScoresMatch("chain", chainLayers(*m), chainForward(*m), "features.5", 2, Criterion::Snip);
}

TEST(Saliency, ResidualWithStrideDilationGroups) {
    auto m = Model::load(cx::test::modelPath("residual")).value();
    for (Criterion c : {Criterion::ActGrad, Criterion::Snip}) {
        expectScoresMatch("residual", residualLayers(*m), residualForward(*m), "branch2", 4, c);
        expectScoresMatch("residual", residualLayers(*m), residualForward(*m), "head", 1, c);
    }
}

TEST(Saliency, ConcatBranches) {
    auto m = Model::load(cx::test::modelPath("concat")).value();
    for (Criterion c : {Criterion::ActGrad, Criterion::Snip})
        expectScoresMatch("concat", concatLayers(*m), concatForward(*m), "merge", 1, c);
}

TEST(Saliency, BatchSizeDoesNotChangeScores) {
    auto m = Model::load(cx::test::modelPath("residual")).value();
    torch::manual_seed(2);
    auto images = torch::randn({16, 3, 16, 16});
    for (Criterion c : {Criterion::ActGrad, Criterion::Snip}) {
        ScoreOptions opt;
        opt.target = parseTarget("head:0").value();
        opt.criterion = c;
        JobContext job;
        opt.batchSize = 1;
        auto one = scoreKernels(*m, images, opt, job).take();
        opt.batchSize = 16;
        auto sixteen = scoreKernels(*m, images, opt, job).take();
        for (const auto& [l, s] : one.scores) EXPECT_TRUE(torch::allclose(s, sixteen.scores.at(l), 1e-4, 1e-7)) << l;
    }
}

TEST(Saliency, MagnitudeAndRandomRespectRelevance) {
    auto m = Model::load(cx::test::modelPath("concat")).value();
    ScoreOptions opt;
    opt.target = parseTarget("merge:1").value();
    opt.criterion = Criterion::Magnitude;
    JobContext job;
    auto images = torch::zeros({1, 3, 8, 8});
    auto mag = scoreKernels(*m, images, opt, job).take();
    EXPECT_EQ(mag.relevantCount, 28);
    const int merge = m->summary().indexOf("merge");
    auto expected = param(*m, "merge.weight").abs().mean({2, 3});
    EXPECT_TRUE(torch::allclose(mag.scores.at(merge)[1], expected[1]));
    EXPECT_EQ(mag.scores.at(merge)[0].abs().sum().item<float>(), 0.0f);  // other rows are irrelevant
    EXPECT_EQ(mag.scores.count(m->summary().indexOf("dead")), 0u);
    opt.criterion = Criterion::Random;
    auto rnd = scoreKernels(*m, images, opt, job).take();
    EXPECT_EQ(rnd.scores.at(merge)[2].abs().sum().item<float>(), 0.0f);
    EXPECT_GT(rnd.scores.at(merge)[1].min().item<float>(), 0.0f);
}

TEST(Saliency, CancelledBeforeTheFirstBatch) {
    auto m = Model::load(cx::test::modelPath("chain")).value();
    ScoreOptions opt;
    opt.target = parseTarget("features.5:0").value();
    JobContext job;
    job.token()->cancel();
    auto r = scoreKernels(*m, torch::randn({4, 3, 16, 16}), opt, job);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled);
}
