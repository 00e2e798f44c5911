// Learned masks: the overlay with all masks on, L0 bookkeeping, schedules, and a task whose
// subnetwork is known.
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>

#include <gtest/gtest.h>
#include <torch/script.h>

#include "engine/masks/internal/mask_adam.h"
#include "engine/masks/internal/mask_training.h"
#include "engine/masks/internal/soft_mask.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/preservation.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

// A linear classifier whose class-1 logit reads inputs 0..3 (the task) and 4..7 (noise weights).
std::shared_ptr<Model> halfUsefulLinear() {
    torch::jit::Module net("cx_test.HalfUseful");
    auto w = torch::zeros({2, 8});
    w[1].narrow(0, 0, 4).fill_(1.0);
    w[1][4] = 1.5;
    w[1][5] = -1.5;
    w[1][6] = 1.5;
    w[1][7] = -1.5;
    net.register_parameter("weight", w, false);
    net.register_parameter("bias", torch::zeros({2}), false);
    net.define("def forward(self, x):\n    return torch.linear(x, self.weight, self.bias)\n");
    const std::string path = cx::test::tempDir() + "/half.pt";
    net.save(path);
    return Model::load(path).take();
}

// Trains the chain model's masks for 6 epochs annealed to T = 200, once with `choose(o, false)`
// and once with `choose(o, true)`, and expects the same hard masks (and some units removed).
void expectSameHardMaskAnnealedTo200(const std::function<void(MaskTrainOptions&, bool)>& choose) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    torch::manual_seed(12);
    auto x = torch::randn({192, 3, 16, 16});
    torch::Tensor y;
    {
        torch::NoGradGuard noGrad;
        y = m->impl().module.forward({x}).toTensor().argmax(1);
    }
    MaskTrainOptions o;
    o.layers = {0, 1, 2, 3};
    o.epochs = 6;
    o.batchSize = 64;
    o.lambda = 1e-3;
    o.initValue = 0.2;
    o.finalTemperature = 200;
    JobContext job;
    choose(o, false);
    auto before = trainMasks(*m, x, y, o, job);
    choose(o, true);
    auto after = trainMasks(*m, x, y, o, job);
    ASSERT_TRUE(before.ok() && after.ok());
    EXPECT_EQ(after.value().keptUnits(), before.value().keptUnits());
    EXPECT_LT(before.value().keptUnits(), before.value().totalUnits());
    EXPECT_GT(before.value().keptUnits(), 0);
    for (const auto& [l, mask] : before.value().hardMasks()) EXPECT_TRUE(torch::equal(after.value().hardMasks().at(l), mask)) << l;
}

}  // namespace

TEST(MaskTraining, AllOnesHardMaskIsBitForBit) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    torch::manual_seed(1);
    auto x = torch::randn({4, 3, 16, 16});
    std::map<int, torch::Tensor> ones;
    for (int l = 0; l < 5; ++l) {
        const auto& info = m->summary().layers[size_t(l)];
        ones[l] = torch::ones(unitShape(info, m->impl().param(info.param), Granularity::Weight), torch::kBool);
    }
    auto weights = maskedWeights(*m, ones);
    auto plan = ForwardPlan::build(*m, {}, true, weights.params).take();
    torch::NoGradGuard ng;
    EXPECT_TRUE(torch::equal(plan.run({x}, weights.tensors).modelOutput.toTensor(), m->impl().module.forward({x}).toTensor()));
}

TEST(MaskTraining, NeuronMasksCountOncePerNeuronAndRemoveTheWholeRow) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    MaskTrainOptions o;
    o.granularity = Granularity::Filter;
    o.layers = {3};  // classifier.1: 7 neurons x 80 inputs
    o.initValue = 20.0;
    MaskSet set(*m, o);
    EXPECT_EQ(set.totalUnits(), 7);
    EXPECT_NEAR(set.l0(1.0).item<double>(), 7.0, 1e-6);
    auto masks = set.hardMasks();
    masks[3][2] = false;
    auto weights = maskedWeights(*m, masks);
    EXPECT_EQ(weights.tensors[0][2].abs().sum().item<float>(), 0.0f);
    EXPECT_TRUE(torch::equal(weights.tensors[0][3], m->impl().param("classifier.1.weight")[3]));
    o.granularity = Granularity::Kernel;
    o.layers = {1};  // features.3: 6 x 4 kernels
    EXPECT_EQ(MaskSet(*m, o).totalUnits(), 24);
}

TEST(MaskTraining, HardConcreteExpectedL0MatchesMonteCarlo) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    MaskTrainOptions o;
    o.method = MaskMethod::HardConcrete;
    o.layers = {1};
    MaskSet set(*m, o);
    torch::manual_seed(5);
    {
        torch::NoGradGuard ng;
        set.logits().at(1).copy_(torch::randn({6, 4, 3, 3}) * 2);
    }
    double nonzero = 0;
    const int samples = 4000;
    for (int i = 0; i < samples; ++i) nonzero += (set.trainingMasks(1.0).at(1) > 0).sum().item<double>();
    const double expected = set.l0(1.0).item<double>();
    EXPECT_NEAR(nonzero / samples, expected, 0.01 * expected);
}

TEST(MaskTraining, TemperatureGrowsExponentiallyPerEpoch) {
    auto m = halfUsefulLinear();
    torch::manual_seed(2);
    auto x = torch::randn({64, 8});
    auto y = (x.narrow(1, 0, 4).sum(1) > 0).to(torch::kInt64);
    MaskTrainOptions o;
    o.layers = {0};
    o.epochs = 4;
    o.batchSize = 64;
    o.finalTemperature = 81;
    JobContext job;
    std::vector<double> temperatures;
    job.onProgress = [&](const Progress& p) { temperatures.push_back(std::any_cast<MaskStep>(p.payload).temperature); };
    ASSERT_TRUE(trainMasks(*m, x, y, o, job).ok());
    ASSERT_EQ(temperatures.size(), 4u);
    for (int e = 0; e < 4; ++e) EXPECT_NEAR(temperatures[size_t(e)], std::pow(3.0, e), 1e-9);  // 81^(e/4)
    // Per step: 2 epochs x 4 batches, 256^(1/8) = 2 per step.
    o.epochs = 2;
    o.batchSize = 16;
    o.finalTemperature = 256;
    o.temperaturePerStep = true;
    temperatures.clear();
    ASSERT_TRUE(trainMasks(*m, x, y, o, job).ok());
    ASSERT_EQ(temperatures.size(), 8u);
    for (int s = 0; s < 8; ++s) EXPECT_NEAR(temperatures[size_t(s)], std::pow(2.0, s), 1e-9);
}

TEST(MaskTraining, FindsTheSubnetworkOfAKnownTask) {
    auto m = halfUsefulLinear();
    torch::manual_seed(3);
    auto x = torch::randn({2000, 8});
    auto y = (x.narrow(1, 0, 4).sum(1) > 0).to(torch::kInt64);
    const auto before = m->impl().param("weight").clone();
    const double baseAccuracy = maskedAccuracy(*m, {}, x, y);
    for (MaskMethod method : {MaskMethod::ContinuousSparsification, MaskMethod::HardConcrete}) {
        MaskTrainOptions o;
        o.method = method;
        o.layers = {0};
        o.epochs = 30;
        o.batchSize = 200;
        o.lambda = 1.0 / 200;  // against the batch mean: 1 per example of the batch
        o.learningRate = 0.1;
        o.initValue = method == MaskMethod::HardConcrete ? 2.0 : 0.05;
        JobContext job;
        auto trained = trainMasks(*m, x, y, o, job);
        ASSERT_TRUE(trained.ok()) << trained.error().message;
        auto mask = trained.value().hardMasks().at(0);
        // Keeps the four task weights of class 1 and drops the four noise weights.
        EXPECT_TRUE(mask[1].narrow(0, 0, 4).all().item<bool>()) << int(method) << "\n" << mask;
        EXPECT_FALSE(mask[1].narrow(0, 4, 4).any().item<bool>()) << int(method) << "\n" << mask;
        EXPECT_GT(maskedAccuracy(*m, trained.value().hardMasks(), x, y), std::max(0.98, baseAccuracy));
    }
    // The base model is frozen and unchanged.
    EXPECT_TRUE(torch::equal(m->impl().param("weight"), before));
    EXPECT_FALSE(m->impl().param("weight").grad().defined());
}

TEST(MaskTraining, BadOptions) {
    auto m = halfUsefulLinear();
    auto x = torch::randn({8, 8});
    auto y = torch::zeros({8}, torch::kInt64);
    JobContext job;
    MaskTrainOptions o;
    EXPECT_NE(trainMasks(*m, x, y, o, job).error().message.find("no layers"), std::string::npos);
    o.layers = {0};
    o.epochs = 0;
    EXPECT_NE(trainMasks(*m, x, y, o, job).error().message.find("epochs"), std::string::npos);
    o.epochs = 1;
    o.lambda = -1;
    EXPECT_NE(trainMasks(*m, x, y, o, job).error().message.find("lambda"), std::string::npos);
}

TEST(MaskTraining, ResumesFromSavedLogits) {
    auto m = halfUsefulLinear();
    torch::manual_seed(4);
    auto x = torch::randn({128, 8});
    auto y = (x.narrow(1, 0, 4).sum(1) > 0).to(torch::kInt64);
    MaskTrainOptions o;
    o.layers = {0};
    o.epochs = 2;
    JobContext job;
    auto first = trainMasks(*m, x, y, o, job).take();
    EXPECT_FALSE(torch::equal(first.logits().at(0), torch::zeros_like(first.logits().at(0))));
    // The resumed run's first step starts from the saved logits: its L0 (at T = 1, before the
    // step) is theirs.
    std::vector<double> l0;
    job.onProgress = [&](const Progress& p) { l0.push_back(std::any_cast<MaskStep>(p.payload).l0); };
    auto resumed = trainMasks(*m, x, y, o, job, &first.logits()).take();
    ASSERT_FALSE(l0.empty());
    EXPECT_NEAR(l0.front(), torch::sigmoid(first.logits().at(0)).sum().item<double>(), 1e-5);
    EXPECT_EQ(resumed.totalUnits(), first.totalUnits());
    job.onProgress = nullptr;
    // A zero learning rate would train nothing: refused.
    o.learningRate = 0.0;
    EXPECT_NE(trainMasks(*m, x, y, o, job, &first.logits()).error().message.find("learning rate"), std::string::npos);
    o.learningRate = 0.05;
    std::map<int, torch::Tensor> wrong = {{0, torch::zeros({3})}};
    auto bad = trainMasks(*m, x, y, o, job, &wrong);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("do not match"), std::string::npos);
}

TEST(MaskTraining, TargetKeptModeAdaptsLambdaToTheRequestedFraction) {
    auto m = Model::load(cx::test::modelPath("tiny_mlp")).take();
    torch::manual_seed(4);
    const auto& info = m->summary().layers[0];
    auto x = torch::randn({512, info.inChannels});
    auto y = m->impl().module.forward({x}).toTensor().argmax(-1);
    MaskTrainOptions o;
    o.layers = {0, 1};
    o.epochs = 8;
    o.batchSize = 64;
    o.targetKept = 0.3;
    std::vector<double> lambdas;
    JobContext job;
    job.onProgress = [&](const Progress& p) { lambdas.push_back(std::any_cast<MaskStep>(p.payload).lambda); };
    auto trained = trainMasks(*m, x, y, o, job);
    ASSERT_TRUE(trained.ok()) << trained.error().message;
    int64_t kept = 0;
    for (const auto& [l, mask] : trained.value().hardMasks()) kept += mask.sum().item<int64_t>();
    EXPECT_EQ(kept, std::llround(0.3 * double(trained.value().totalUnits())));  // ends on exactly the target
    // The L0 term only pushes gates closed: the controller keeps the open ones from exceeding it.
    EXPECT_LE(double(trained.value().keptUnits()) / double(trained.value().totalUnits()), 0.3 + 0.05);
    EXPECT_NE(lambdas.back(), lambdas.front());  // lambda adapted on the way
}

TEST(MaskTraining, FeaturePreservationObjectiveKeepsTheTarget) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    torch::manual_seed(6);
    auto x = torch::rand({256, 3, 16, 16});
    TargetSpec target;
    target.layer = m->summary().layers[2].name;
    target.unit = 1;
    JobContext job;
    auto original = targetActivations(*m, x, target, nullptr, 64, job).to(torch::kFloat32);
    MaskTrainOptions o;
    o.layers = {0, 1, 2};
    o.granularity = Granularity::Kernel;
    o.lambda = 1e-4 / 64;
    o.epochs = 12;
    o.learningRate = 0.1;
    o.preserve = target;
    std::vector<double> losses;
    job.onProgress = [&](const Progress& p) { losses.push_back(std::any_cast<MaskStep>(p.payload).loss); };
    auto trained = trainMasks(*m, x, original, o, job);
    ASSERT_TRUE(trained.ok()) << trained.error().message;
    auto masks = trained.value().hardMasks();
    auto w = maskedWeights(*m, masks, o.scheme());
    auto after = targetActivationsWith(*m, x, target, w.params, w.tensors);
    EXPECT_GT(absPearson(original, after, PearsonMode::Flattened), 0.9);
    EXPECT_LT(trained.value().keptUnits(), trained.value().totalUnits());  // it did prune
    // A target that does not exist is refused before training.
    o.preserve->layer = "nope";
    EXPECT_FALSE(trainMasks(*m, x, original, o, job).ok());
}

TEST(MaskTraining, BiasFollowsNeuronsAndOptionallyFullyRemovedRows) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    const auto& info = m->summary().layers[3];  // classifier.1: 7 x 80, with bias
    ASSERT_TRUE(info.hasBias());
    const auto& bias = m->impl().param(info.biasParam);
    auto neurons = torch::ones({7}, torch::kBool);
    neurons[2] = false;
    auto w = maskedWeights(*m, {{3, neurons}}, {Granularity::Filter, false});
    ASSERT_EQ(w.params.size(), 2u);
    EXPECT_EQ(w.params[1], info.biasParam);
    EXPECT_EQ(w.tensors[1][2].item<float>(), 0.0f);
    EXPECT_EQ(w.tensors[1][3].item<float>(), bias[3].item<float>());
    // Weight level: the bias stays unless mask_bias; then a row with no weight left loses it.
    auto weights = torch::ones({7, 80}, torch::kBool);
    weights[4].fill_(false);
    weights[5][0] = false;
    EXPECT_EQ(maskedWeights(*m, {{3, weights}}).params.size(), 1u);
    auto withBias = maskedWeights(*m, {{3, weights}}, {Granularity::Weight, true});
    ASSERT_EQ(withBias.params.size(), 2u);
    EXPECT_EQ(withBias.tensors[1][4].item<float>(), 0.0f);
    EXPECT_EQ(withBias.tensors[1][5].item<float>(), bias[5].item<float>());
}

// Subnormal gradients are flushed to zero while training (they cost a slow CPU path near
// T = 200): a run annealed to 200 keeps exactly the hard mask it keeps without flushing, and
// afterwards subnormals compute normally again, on every thread.
TEST(MaskTraining, FlushingSubnormalsKeepsTheHardMaskOfARunAnnealedTo200) {
    expectSameHardMaskAnnealedTo200([](MaskTrainOptions& o, bool variant) {
        o.fusedSoftMask = false;  // the autograd expression, where subnormals arise
        o.flushDenormals = variant;
    });
    const float tiny = 1e-39f;  // subnormal in float32
    {
        const FlushDenormals flushed(true);
        // Every chunk of a parallel op reads the subnormal as 0, the intra-op threads' too.
        EXPECT_TRUE((torch::full({1 << 20}, tiny) * 1.0f).eq(0).all().item<bool>());
    }
    EXPECT_GT((torch::full({1}, tiny) * 1.0f).item<float>(), 0.0f);
    EXPECT_TRUE((torch::full({1 << 20}, tiny) * 1.0f).gt(0).all().item<bool>());  // the intra-op threads too
}

// The fused soft mask is the expression w * sigmoid(T s) with its L0 sum(sigmoid(T s)): values
// and gradients are bit-identical to autograd's, except that saturated entries (|T s| past the clamp, or a mask
// below 1e-30) are exactly 0 or 1 with a zero gradient, and no entry is ever subnormal.
TEST(SoftMask, EqualsTheAutogradExpressionAndSaturatesExactly) {
    torch::manual_seed(21);
    const auto w = torch::randn({6, 5, 3});
    const auto g = torch::randn({6, 5, 3});
    for (double temperature : {1.0, 7.0, 200.0}) {
        auto s = (torch::randn({6, 5, 3}) * 0.6).requires_grad_(true);
        auto fused = softMaskedWeight(s, w, temperature);
        ((fused.weight * g).sum() + 0.25 * fused.maskSum).backward();
        auto reference = s.detach().clone().requires_grad_(true);
        // As trainMasks wrote it before: one sigmoid for the weight, another for the L0 term.
        auto m = torch::sigmoid(temperature * reference);
        ((w * m * g).sum() + 0.25 * torch::sigmoid(temperature * reference).sum()).backward();
        const auto mask = fused.weight.detach() / w;
        const auto saturated = (temperature * s.detach()).abs() > 69.0;  // sigmoid(-69) is 1e-30
        const auto live = saturated.logical_not();
        // The same float operations in the same order: bit-identical values and gradients.
        EXPECT_TRUE(torch::equal(fused.weight.detach().masked_select(live), (w * m.detach()).masked_select(live))) << temperature;
        EXPECT_TRUE(torch::equal(s.grad().masked_select(live), reference.grad().masked_select(live))) << temperature;
        EXPECT_TRUE(s.grad().masked_select(saturated).eq(0).all().item<bool>()) << temperature;
        const auto masked = mask.masked_select(saturated);
        EXPECT_TRUE((masked.eq(0) | masked.eq(1)).all().item<bool>()) << temperature;
        EXPECT_NEAR(fused.maskSum.item<double>(), m.sum().item<double>(), 1e-4) << temperature;
        const auto tiny = mask.abs().gt(0) & mask.abs().lt(std::numeric_limits<float>::min());
        EXPECT_FALSE(tiny.any().item<bool>()) << temperature;
        if (temperature == 200.0) EXPECT_GT(saturated.sum().item<int64_t>(), 40) << "the case is not exercised";
    }
}

// The one-pass forward computes exactly what LibTorch's ops do, on sizes that exercise the vector
// blocks, the scalar tail of each thread's chunk and the split over threads (issue 18's MLP layer).
TEST(SoftMask, OnePassForwardEqualsLibTorchOpsBitForBit) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && !std::getenv("ATEN_CPU_CAPABILITY"))
        EXPECT_TRUE(softMaskForwardIsFused()) << "the kernel fell back to LibTorch ops on a CPU it supports";
#endif
    torch::manual_seed(5);
    for (int64_t n : {1, 31, 32, 33, 1000, 65543, 784 * 512}) {
        // Spread so that T = 3.3 and 200 also saturate whole vectors (the kernel skips exp there).
        const auto logits = torch::randn({n}) * 0.8;
        const auto weight = torch::randn({n});
        for (double temperature : {1.0, 3.3, 200.0}) {
            auto expected = (logits * temperature).clamp_(-kSaturatedLogit, kSaturatedLogit).sigmoid_();
            torch::threshold_(expected, kNegligibleMask, 0.0);
            const auto fused = softMaskedWeight(logits, weight, temperature);
            const auto mask = softMaskedWeight(logits, torch::ones_like(weight), temperature).weight;
            EXPECT_TRUE(torch::equal(mask, expected)) << n << " at T " << temperature;
            EXPECT_TRUE(torch::equal(fused.weight, weight * expected)) << n << " at T " << temperature;
            const double sum = expected.to(torch::kFloat64).sum().item<double>();
            EXPECT_NEAR(fused.maskSum.item<double>(), sum, 1e-6 * std::max(1.0, sum)) << n << " at T " << temperature;
        }
    }
}

// One training step's masked weights and logit gradients are the same, fused or through autograd,
// on GPT-2 Conv1D layers (weights stored in x out: masked through their transposed view).
TEST(SoftMask, TransposedLinearLayersStepAsThroughAutograd) {
    auto m = Model::load(cx::test::modelPath("compat_gpt2_mlp_script")).take();
    ASSERT_EQ(m->summary().layers[0].kind, LayerKind::TransposedLinear);
    MaskTrainOptions o;
    o.layers = {0, 1};
    o.initValue = 0.1;
    auto stepOf = [&](bool fused) {
        o.fusedSoftMask = fused;
        MaskSet set(*m, o);
        torch::manual_seed(3);
        for (const auto& s : set.parameters()) {
            torch::NoGradGuard noGrad;
            s.copy_(torch::randn_like(s));
        }
        auto step = set.trainingStep(3.0);
        auto plan = ForwardPlan::build(*m, {}, true, step.weights.params).take();
        auto out = plan.run({torch::randn({2, 5, 4})}, step.weights.tensors).modelOutput.toTensor();
        (out.pow(2).mean() + 1e-3 * step.l0).backward();
        std::vector<torch::Tensor> grads;
        for (const auto& s : set.parameters()) grads.push_back(s.grad().clone());
        return std::make_pair(step, grads);
    };
    const auto [fused, fusedGrads] = stepOf(true);
    const auto [plain, plainGrads] = stepOf(false);
    ASSERT_EQ(fused.weights.params, plain.weights.params);
    for (size_t i = 0; i < fused.weights.tensors.size(); ++i)
        EXPECT_TRUE(torch::allclose(fused.weights.tensors[i], plain.weights.tensors[i], 1e-6, 1e-7)) << i;
    EXPECT_NEAR(fused.l0.item<double>(), plain.l0.item<double>(), 1e-5);
    for (size_t i = 0; i < fusedGrads.size(); ++i) EXPECT_TRUE(torch::allclose(fusedGrads[i], plainGrads[i], 1e-4, 1e-7)) << i;
}

// A run annealed to T = 200 keeps exactly the hard mask, fused or through autograd.
TEST(MaskTraining, FusedSoftMaskKeepsTheHardMaskOfARunAnnealedTo200) {
    expectSameHardMaskAnnealedTo200([](MaskTrainOptions& o, bool variant) { o.fusedSoftMask = variant; });
}

// The logits' optimizer computes exactly what torch::optim::Adam does, step after step, in its
// one-pass kernel (vector blocks, each thread chunk's scalar tail, several chunks) and in
// LibTorch ops (float64 here); zeroGrad leaves no gradient, the next backward's is taken whole.
TEST(MaskAdam, EqualsTorchAdamBitForBit) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && !std::getenv("ATEN_CPU_CAPABILITY"))
        EXPECT_TRUE(MaskAdam::fused()) << "the kernel fell back to LibTorch ops on a CPU it supports";
#endif
    torch::manual_seed(8);
    for (auto dtype : {torch::kFloat32, torch::kFloat64}) {
        for (int64_t n : {1, 31, 1000, 65543, 784 * 512}) {
            auto reference = torch::randn({n}, dtype).requires_grad_(true);
            auto ours = reference.detach().clone().requires_grad_(true);
            torch::optim::Adam adam({reference}, torch::optim::AdamOptions(0.05));
            MaskAdam maskAdam({ours}, 0.05);
            for (int step = 0; step < 15; ++step) {
                // Magnitudes from 1e-6 to 1e2, some exact zeros.
                auto grad = torch::randn({n}, dtype) * std::pow(10.0, double(step % 5) * 2 - 6);
                grad.masked_fill_(torch::rand({n}) < 0.1, 0.0);
                adam.zero_grad();
                reference.mutable_grad() = grad.clone();
                adam.step();
                maskAdam.zeroGrad();
                EXPECT_FALSE(ours.grad().defined());
                ours.mutable_grad() = grad.clone();
                maskAdam.step();
                ASSERT_TRUE(torch::equal(ours.detach(), reference.detach())) << n << " " << dtype << " at step " << step;
            }
        }
    }
}
