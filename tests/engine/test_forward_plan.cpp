// Probed, truncated forward passes and weight substitution (the mask overlay), checked against
// independent computations with plain torch ops on the same parameters.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <torch/torch.h>

#include "engine/core/internal/cancel_points.h"
#include "engine/core/internal/guard.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

std::shared_ptr<Model> load(const std::string& name) {
    auto m = Model::load(cx::test::modelPath(name));
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return m.value();
}

torch::Tensor p(const Model& m, const std::string& path) { return m.impl().param(path); }

ForwardPlan plan(const Model& m, const std::vector<Probe>& probes, bool keepOutput,
                 const std::vector<std::string>& overrides = {}) {
    auto built = ForwardPlan::build(m, probes, keepOutput, overrides);
    EXPECT_TRUE(built.ok()) << (built.ok() ? "" : built.error().message);
    return built.take();
}

}  // namespace

TEST(ForwardPlan, ProbesEqualAnIndependentComputation) {
    auto m = load("chain");
    torch::manual_seed(3);
    auto x = torch::randn({4, 3, 16, 16});
    auto out = plan(*m, {{0, ProbeSide::Output}, {1, ProbeSide::Input}, {1, ProbeSide::Output}}, false).run({x});
    torch::NoGradGuard g;
    auto y0 = torch::conv2d(x, p(*m, "features.0.weight"), p(*m, "features.0.bias"), 1, 1);
    auto in1 = torch::max_pool2d(torch::relu(y0), 2);
    auto y1 = torch::conv2d(in1, p(*m, "features.3.weight"), p(*m, "features.3.bias"), 1, 1);
    // The in-place ReLU after features.0 must not leak into the probed pre-activation output.
    EXPECT_TRUE(torch::allclose(out.probes[0], y0, 1e-6, 1e-6));
    EXPECT_LT(out.probes[0].min().item<float>(), 0.0f);
    EXPECT_TRUE(torch::allclose(out.probes[1], in1, 1e-6, 1e-6));
    EXPECT_TRUE(torch::allclose(out.probes[2], y1, 1e-6, 1e-6));
}

TEST(ForwardPlan, ProbeOfTheFullForwardMatchesTheTruncatedOne) {
    for (const std::string name : {"residual", "residual_traced", "concat"}) {
        auto m = load(name);
        torch::manual_seed(5);
        auto x = torch::randn({3, 3, 16, 16});
        const int last = static_cast<int>(m->summary().layers.size()) - 1;
        for (int layer = 0; layer <= last; ++layer) {
            if (!m->summary().layers[static_cast<size_t>(layer)].reachable) continue;
            auto full = plan(*m, {{layer, ProbeSide::Output}}, true).run({x});
            auto truncated = plan(*m, {{layer, ProbeSide::Output}}, false).run({x});
            EXPECT_TRUE(torch::equal(full.probes[0], truncated.probes[0])) << name << " layer " << layer;
        }
    }
}

TEST(ForwardPlan, TruncationRemovesEverythingAfterTheTarget) {
    auto m = load("chain");
    auto early = plan(*m, {{0, ProbeSide::Output}}, false);
    auto late = plan(*m, {{2, ProbeSide::Output}}, false);
    auto full = plan(*m, {{0, ProbeSide::Output}}, true);
    EXPECT_LT(early.nodeCount(), late.nodeCount());
    EXPECT_LT(late.nodeCount(), full.nodeCount());
    EXPECT_LT(early.nodeCount(), full.nodeCount() / 2);
}

TEST(ForwardPlan, ModelOutputEqualsTheModulesForward) {
    auto m = load("residual");
    torch::manual_seed(9);
    auto x = torch::randn({2, 3, 16, 16});
    torch::NoGradGuard g;
    auto expected = m->impl().module.forward({x}).toTensor();
    auto out = plan(*m, {}, true).run({x});
    EXPECT_TRUE(torch::equal(out.modelOutput.toTensor(), expected));
}

TEST(MaskOverlay, AllOnesMaskIsBitForBitAndLeavesTheModelUnchanged) {
    auto m = load("chain");
    torch::manual_seed(1);
    auto x = torch::randn({4, 3, 16, 16});
    std::vector<std::string> params;
    std::vector<torch::Tensor> before, masked;
    for (const auto& l : m->summary().layers) {
        params.push_back(l.param);
        before.push_back(p(*m, l.param).clone());
        const auto& w = p(*m, l.param);
        auto kernelMask = torch::ones({w.size(0), w.size(1)}, torch::kUInt8);
        masked.push_back(applyUnitMask(w, kernelMask));
    }
    torch::NoGradGuard g;
    auto expected = m->impl().module.forward({x}).toTensor();
    auto out = plan(*m, {}, true, params).run({x}, masked);
    EXPECT_TRUE(torch::equal(out.modelOutput.toTensor(), expected));
    for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(p(*m, params[i]), before[i]));
}

TEST(MaskOverlay, MaskedKernelsMatchAConvolutionWithZeroedKernels) {
    auto m = load("chain");
    torch::manual_seed(2);
    auto x = torch::randn({2, 3, 16, 16});
    const auto& w = p(*m, "features.0.weight");
    auto mask = torch::ones({w.size(0), w.size(1)});
    mask[1][2] = 0;
    mask[3][0] = 0;
    auto out = plan(*m, {{0, ProbeSide::Output}}, false, {"features.0.weight"}).run({x}, {applyUnitMask(w, mask)});
    auto zeroed = w.clone();
    zeroed[1][2].zero_();
    zeroed[3][0].zero_();
    EXPECT_TRUE(torch::allclose(out.probes[0], torch::conv2d(x, zeroed, p(*m, "features.0.bias"), 1, 1), 1e-6, 1e-6));
    // The model itself still sees the unmasked weight.
    EXPECT_NE(p(*m, "features.0.weight")[1][2].abs().sum().item<float>(), 0.0f);
}

TEST(MaskOverlay, DifferentiableWeightsCarryGradientsToMaskLogits) {
    auto m = load("chain");
    const auto& w = p(*m, "features.3.weight");
    auto logits = torch::zeros({w.size(0), w.size(1)}, torch::requires_grad());
    auto x = torch::randn({2, 3, 16, 16});
    auto out = plan(*m, {}, true, {"features.3.weight"}).run({x}, {applyUnitMask(w, torch::sigmoid(logits))});
    out.modelOutput.toTensor().sum().backward();
    ASSERT_TRUE(logits.grad().defined());
    EXPECT_GT(logits.grad().abs().sum().item<float>(), 0.0f);
    // The base weight stays frozen and receives no gradient.
    EXPECT_FALSE(w.requires_grad());
    EXPECT_FALSE(w.grad().defined());
}

TEST(ForwardPlan, RejectsUnknownParametersAndLayers) {
    auto m = load("chain");
    auto bad = ForwardPlan::build(*m, {}, true, {"features.9.weight"});
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("features.9.weight"), std::string::npos);
    auto badLayer = ForwardPlan::build(*m, {{17, ProbeSide::Output}}, false);
    ASSERT_FALSE(badLayer.ok());
    EXPECT_EQ(badLayer.error().code, ErrorCode::InvalidInput);
}

// Runs only where the linked LibTorch has CUDA and a GPU is present.
TEST(ForwardPlan, ProbesOnTheGpuMatchTheCpu_CUDA) {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    auto m = load("residual");
    torch::manual_seed(4);
    auto x = torch::randn({8, 3, 16, 16});
    auto cpu = plan(*m, {{3, ProbeSide::Output}}, true).run({x});
    auto gpuPlan = ForwardPlan::build(*m, {{3, ProbeSide::Output}}, true, {}, "cuda");
    ASSERT_TRUE(gpuPlan.ok()) << gpuPlan.error().message;
    auto gpu = gpuPlan.value().run({x.to(torch::kCUDA)});
    EXPECT_TRUE(gpu.probes[0].is_cuda());
    EXPECT_TRUE(torch::allclose(gpu.probes[0].cpu(), cpu.probes[0], 1e-4, 1e-5));
    EXPECT_TRUE(torch::allclose(gpu.modelOutput.toTensor().cpu(), cpu.modelOutput.toTensor(), 1e-4, 1e-5));
}

// A forward whose loop never ends (tests/data/bad/endless.pt: `while i >= 0`) ends at its next
// loop turn once the thread's job is interrupted, as a cancellation, and soon.
TEST(ForwardPlan, AnEndlessLoopEndsWhenTheJobIsInterrupted) {
    auto m = Model::load(std::string(CX_TEST_DATA) + "/bad/endless.pt");
    ASSERT_TRUE(m.ok()) << m.error().message;
    const auto& layers = m.value()->summary().layers;
    ASSERT_EQ(layers.size(), 2u);
    auto forward = plan(*m.value(), {{1, ProbeSide::Output}}, false);
    auto token = std::make_shared<CancelToken>();
    const ThreadCancelScope scope(token);
    std::thread interrupter([token] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        token->interrupt();
    });
    const auto start = std::chrono::steady_clock::now();
    auto result = guarded<int>("endless", [&]() -> Result<int> {
        forward.run({torch::randn({1, 3, 8, 8})});
        return 0;
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    interrupter.join();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::Cancelled) << result.error().message;
    EXPECT_GE(seconds, 0.29);
    EXPECT_LT(seconds, 10.0);
}

// The cancel point at the head of a loop body changes nothing the loop computes; a cancelled
// (not interrupted) token, or none, lets the forward run to its end.
TEST(ForwardPlan, CancelPointsLeaveLoopsComputingTheSame) {
    torch::manual_seed(11);
    torch::jit::Module net("Looping");
    net.register_parameter("weight", torch::randn({4, 3, 3, 3}), false);
    net.register_parameter("bias", torch::randn({4}), false);
    net.define(R"(
def forward(self, x):
    y = torch.conv2d(x, self.weight, self.bias)
    for i in range(x.size(0)):
        y = y * 0.5 + float(i)
    return y
)");
    const std::string path = cx::test::tempDir() + "/looping.pt";
    net.save(path);
    auto m = Model::load(path);
    ASSERT_TRUE(m.ok()) << m.error().message;
    auto g = m.value()->impl().graph->copy();
    EXPECT_EQ(addCancelPoints(*g), 1);
    auto x = torch::randn({3, 3, 8, 8});
    auto token = std::make_shared<CancelToken>();
    token->cancel();  // a Stop, not a Cancel: the forward still completes
    const ThreadCancelScope scope(token);
    auto out = plan(*m.value(), {{0, ProbeSide::Output}}, true).run({x});
    torch::NoGradGuard noGrad;
    EXPECT_TRUE(torch::equal(out.modelOutput.toTensor(), net.forward({x}).toTensor()));
}
