// Seed 004's excited states, equivalence and containment: the enumeration against a brute-force
// sum per subset; hand-built AND / OR / XOR-style units and networks embedded, permuted, in larger
// random ones are found with the right matching and permutation, and what is not there is not.
#include <chrono>
#include <random>

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include "engine/equiv/circuit_units.h"
#include "engine/equiv/equivalence.h"
#include "engine/equiv/unit_strings.h"
#include "engine/model/workspace.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

ThresholdUnit unit(const std::string& name, int64_t id, std::vector<int64_t> inputs, std::vector<double> weights, double bias) {
    return {name, id, std::move(inputs), std::move(weights), bias};
}

// A unit over `inputs` with weights and bias drawn from N(0, 1).
ThresholdUnit randomUnit(std::mt19937_64& rng, const std::string& name, int64_t id, const std::vector<int64_t>& inputs) {
    std::normal_distribution<double> n(0.0, 1.0);
    ThresholdUnit u{name, id, inputs, {}, n(rng)};
    for (size_t i = 0; i < inputs.size(); ++i) u.weights.push_back(n(rng));
    return u;
}

std::vector<int64_t> range(int64_t n) {
    std::vector<int64_t> out;
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
    return out;
}

}  // namespace

TEST(ExcitedStates, EqualABruteForceSumOverEverySubset) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> n(0.0, 1.0);
    JobContext job;
    for (int inputs : {0, 1, 3, 6, 7, 12, 13, 15}) {
        std::vector<double> w;
        for (int i = 0; i < inputs; ++i) w.push_back(n(rng));
        const double bias = n(rng), threshold = 0.25, eps = 0.05;
        auto s = enumerateExcitedStates(w, bias, threshold, eps, job);
        ASSERT_TRUE(s.ok()) << s.error().message;
        int64_t count = 0;
        double margin = INFINITY;
        std::vector<int64_t> chow(size_t(inputs), 0);
        for (uint64_t subset = 0; subset < (uint64_t(1) << inputs); ++subset) {
            double sum = 0.0;
            for (int i = 0; i < inputs; ++i)
                if (subset >> i & 1) sum += w[size_t(i)];
            const double x = sum + bias - threshold;
            ASSERT_EQ(s.value().bit(subset), x > 0) << inputs << " inputs, subset " << subset;
            ASSERT_EQ(s.value().isAmbiguous(subset), std::abs(x) <= eps + 1e-12 && std::abs(x) <= eps + 1e-12);
            margin = std::min(margin, std::abs(x));
            if (x > 0) {
                ++count;
                for (int i = 0; i < inputs; ++i) chow[size_t(i)] += subset >> i & 1;
            }
        }
        EXPECT_EQ(s.value().excitedCount, count);
        EXPECT_NEAR(s.value().margin, margin, 1e-12);
        EXPECT_EQ(chowParameters(s.value()), chow);
    }
}

TEST(ExcitedStates, DummyInputsAreFoundAndLeftOut) {
    JobContext job;
    // AND of inputs 0 and 1; input 2's weight is too small to matter; input 3 is zero.
    auto s = enumerateExcitedStates({1.0, 1.0, 0.1, 0.0}, -1.5, 0.0, 0.0, job);
    ASSERT_TRUE(s.ok());
    EXPECT_FALSE(isDummyInput(s.value(), 0));
    EXPECT_FALSE(isDummyInput(s.value(), 1));
    EXPECT_TRUE(isDummyInput(s.value(), 2));
    EXPECT_TRUE(isDummyInput(s.value(), 3));
    // Inputs past the first word (i >= 6): input 7 of 9 decides, the rest do not.
    std::vector<double> w(9, 0.01);
    w[7] = 1.0;
    auto big = enumerateExcitedStates(w, -0.5, 0.0, 0.0, job);
    ASSERT_TRUE(big.ok());
    for (int i = 0; i < 9; ++i) EXPECT_EQ(isDummyInput(big.value(), i), i != 7) << i;
    auto sig = signatureOf(unit("and", 0, {10, 11, 12, 13}, {1.0, 1.0, 0.1, 0.0}, -1.5), {}, job);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(sig.value().inputs, (std::vector<int64_t>{10, 11}));
    EXPECT_EQ(sig.value().droppedInputs, 2);
    EXPECT_EQ(sig.value().states.excitedCount, 1);
}

TEST(Equivalence, SameInputsAndUpToAPermutationAreReportedApart) {
    JobContext job;
    const SignatureOptions o;
    // "x10 and not x11" against the same function of the swapped inputs.
    auto a = signatureOf(unit("a", 0, {10, 11}, {2.0, -1.0}, -1.0), o, job).take();
    auto b = signatureOf(unit("b", 0, {10, 11}, {-3.0, 1.0}, -0.5), o, job).take();
    auto same = compareUnits(a, b, InputMatch::Same, o, job);
    ASSERT_TRUE(same.ok());
    EXPECT_FALSE(same.value().equal);
    auto permuted = compareUnits(a, b, InputMatch::Permuted, o, job);
    ASSERT_TRUE(permuted.ok());
    EXPECT_TRUE(permuted.value().equal);
    EXPECT_TRUE(permuted.value().exact);
    EXPECT_EQ(permuted.value().inputMap, (std::vector<std::pair<int64_t, int64_t>>{{10, 11}, {11, 10}}));
    // The seed's sorted weights are equal for these two, which are not the same function.
    auto c = signatureOf(unit("c", 0, {10, 11, 12}, {1.0, 2.0, 3.0}, -2.5), o, job).take();
    auto d = signatureOf(unit("d", 0, {10, 11, 12}, {3.0, 2.0, 1.0}, -2.5), o, job).take();
    EXPECT_FALSE(compareUnits(c, d, InputMatch::Same, o, job).value().equal);
    auto cd = compareUnits(c, d, InputMatch::Permuted, o, job).value();
    EXPECT_TRUE(cd.equal);
    EXPECT_EQ(cd.inputMap, (std::vector<std::pair<int64_t, int64_t>>{{10, 12}, {11, 11}, {12, 10}}));
}

TEST(Equivalence, HandBuiltUnitsAreFoundPermutedInsideALargerRandomLayer) {
    std::mt19937_64 rng(11);
    JobContext job;
    const SignatureOptions o;
    // A: AND(x0, x1), OR(x2, x3, x4), at least 2 of (x0, x2, x4), and "x0, x1 and x2 but not x3".
    const std::vector<ThresholdUnit> a = {unit("and", 0, {0, 1}, {1, 1}, -1.5), unit("or", 1, {2, 3, 4}, {1, 1, 1}, -0.5),
                                          unit("two of three", 2, {0, 2, 4}, {1, 1, 1}, -1.5),
                                          unit("three but not x3", 3, {0, 1, 2, 3}, {1, 1, 1, -1}, -2.5)};
    // B: 12 random units of 6 inputs, with the first three of A hidden among them, their inputs
    // renamed (x0..x4 -> 14, 9, 3, 12, 6) and their weights rescaled; the fourth is not there (a
    // random unit can be a small function once its dummy inputs go - a 2-input one here was).
    std::vector<ThresholdUnit> b;
    for (int j = 0; j < 12; ++j) b.push_back(randomUnit(rng, "r" + std::to_string(j), j, {1, 3, 6, 9, 12, 14}));
    b[4] = unit("and'", 4, {9, 14}, {2.5, 3.0}, -4.0);
    b[9] = unit("or'", 9, {3, 6, 12}, {0.7, 1.1, 0.9}, -0.2);
    b[2] = unit("two'", 2, {6, 14, 3}, {2.0, 2.0, 2.0}, -3.0);
    auto m = matchLayer(a, b, InputMatch::Permuted, false, o, job);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_FALSE(m.value().contained);
    EXPECT_EQ(m.value().unmatched, (std::vector<size_t>{3}));
    ASSERT_EQ(m.value().pairs.size(), 3u);
    EXPECT_EQ(m.value().pairs[0], (std::pair<size_t, size_t>{0, 4}));
    EXPECT_EQ(m.value().pairs[1], (std::pair<size_t, size_t>{1, 9}));
    EXPECT_EQ(m.value().pairs[2], (std::pair<size_t, size_t>{2, 2}));
    EXPECT_TRUE(m.value().exact);
    EXPECT_LT(m.value().candidates, int64_t(a.size() * b.size()));  // the prefilter skipped pairs
    // Every reported permutation maps A's inputs onto the B unit's, and makes them agree on every
    // subset (checked here by direct sums).
    for (size_t p = 0; p < m.value().pairs.size(); ++p) {
        const auto& ua = a[m.value().pairs[p].first];
        const auto& ub = b[m.value().pairs[p].second];
        const auto& map = m.value().comparisons[p].inputMap;
        ASSERT_EQ(map.size(), ua.inputs.size());
        for (uint64_t subset = 0; subset < (uint64_t(1) << ua.inputs.size()); ++subset) {
            double xa = ua.bias, xb = ub.bias;
            for (size_t i = 0; i < ua.inputs.size(); ++i) {
                if (!(subset >> i & 1)) continue;
                xa += ua.weights[i];
                int64_t target = -1;
                for (const auto& [from, to] : map)
                    if (from == ua.inputs[i]) target = to;
                for (size_t k = 0; k < ub.inputs.size(); ++k)
                    if (ub.inputs[k] == target) xb += ub.weights[k];
            }
            EXPECT_EQ(xa > 0, xb > 0) << ua.name << " subset " << subset;
        }
    }
    // With the same inputs (no renaming) none of them is there.
    auto same = matchLayer(a, b, InputMatch::Same, false, o, job);
    ASSERT_TRUE(same.ok());
    EXPECT_TRUE(same.value().pairs.empty());
}

TEST(Equivalence, AUnitIsContainedInALargerOneWithTheOtherInputsOff) {
    JobContext job;
    const SignatureOptions o;
    // Two circuits of one model: A keeps inputs 2 and 5 of unit 0; B keeps 2, 5 and 7.
    const std::vector<ThresholdUnit> a = {unit("u0", 0, {2, 5}, {1.0, 1.0}, -1.5)};
    const std::vector<ThresholdUnit> b = {unit("u0", 0, {2, 5, 7}, {1.0, 1.0, 3.0}, -1.5)};
    auto whole = matchLayer(a, b, InputMatch::Same, false, o, job);
    ASSERT_TRUE(whole.ok());
    EXPECT_FALSE(whole.value().contained);  // input 7 changes B's unit
    auto contained = matchLayer(a, b, InputMatch::Same, true, o, job);
    ASSERT_TRUE(contained.ok());
    EXPECT_TRUE(contained.value().contained);
    EXPECT_EQ(contained.value().pairs.front(), (std::pair<size_t, size_t>{0, 0}));
}

TEST(Equivalence, AnXorNetworkIsFoundInsideALargerOneInOrder) {
    std::mt19937_64 rng(3);
    JobContext job;
    const SignatureOptions o;
    // A: h0 = x0 and not x1, h1 = x1 and not x0, then y = h0 or h1 (XOR, which no single unit is).
    const std::vector<std::vector<ThresholdUnit>> a = {
        {unit("h0", 0, {0, 1}, {1, -1}, -0.5), unit("h1", 1, {0, 1}, {-1, 1}, -0.5)},
        {unit("y", 0, {0, 1}, {1, 1}, -0.5)}};
    // B: a random first layer, then a layer holding h0, h1 (as units 5 and 2, inputs x0 -> 8,
    // x1 -> 3), then y reading units 2 and 5 among random units.
    std::vector<std::vector<ThresholdUnit>> b(3);
    for (int j = 0; j < 6; ++j) b[0].push_back(randomUnit(rng, "l0:" + std::to_string(j), j, range(4)));
    for (int j = 0; j < 7; ++j) b[1].push_back(randomUnit(rng, "l1:" + std::to_string(j), j, {3, 8, 11}));
    b[1][5] = unit("l1:5", 5, {8, 3}, {2, -2}, -1);
    b[1][2] = unit("l1:2", 2, {3, 8, 11}, {1.5, -1.5, 0.0}, -0.5);
    for (int j = 0; j < 5; ++j) b[2].push_back(randomUnit(rng, "l2:" + std::to_string(j), j, range(7)));
    b[2][3] = unit("l2:3", 3, {2, 5, 6}, {1, 1, 0}, -0.5);
    auto found = containNetwork(a, b, InputMatch::Permuted, false, o, job);
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_TRUE(found.value().contained);
    EXPECT_EQ(found.value().offset, 1u);
    ASSERT_EQ(found.value().layers.size(), 2u);
    EXPECT_EQ(found.value().layers[0].pairs, (std::vector<std::pair<size_t, size_t>>{{0, 5}, {1, 2}}));
    EXPECT_EQ(found.value().layers[1].pairs, (std::vector<std::pair<size_t, size_t>>{{0, 3}}));
    // y reading the wrong units of the layer below is not the network.
    b[2][3] = unit("l2:3", 3, {2, 4}, {1, 1}, -0.5);
    auto wrong = containNetwork(a, b, InputMatch::Permuted, false, o, job);
    ASSERT_TRUE(wrong.ok());
    EXPECT_FALSE(wrong.value().contained);
}

TEST(Equivalence, PastTheFanInLimitExactWhereProvedElseApproximateNeverAHang) {
    JobContext job;
    SignatureOptions o;
    o.maxExactFanIn = 16;
    // 40 inputs: AND of four large ones, 36 tiny weights that can never change the output.
    ThresholdUnit wide{"wide", 0, range(40), std::vector<double>(40, 1e-4), -3.5};
    for (int i : {3, 17, 22, 39}) wide.weights[size_t(i)] = 1.0;
    const auto start = std::chrono::steady_clock::now();
    auto s = signatureOf(wide, o, job);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_TRUE(s.value().exact);
    EXPECT_EQ(s.value().inputs, (std::vector<int64_t>{3, 17, 22, 39}));
    EXPECT_EQ(s.value().droppedInputs, 36);
    EXPECT_NEAR(s.value().droppedBound, 24 * 1e-4, 1e-12);  // the 24 past the 16 largest; the rest were dummies
    auto gate = signatureOf(unit("and4", 0, {0, 1, 2, 3}, {1, 1, 1, 1}, -3.5), o, job).take();
    EXPECT_TRUE(compareUnits(gate, s.value(), InputMatch::Permuted, o, job).value().equal);
    // 40 comparable weights: approximate, said so, and equal to itself, not to its negation.
    std::mt19937_64 rng(5);
    auto dense = randomUnit(rng, "dense", 0, range(40));
    auto approx = signatureOf(dense, o, job);
    ASSERT_TRUE(approx.ok());
    EXPECT_FALSE(approx.value().exact);
    EXPECT_NE(approx.value().note.find("past the exact limit 16"), std::string::npos) << approx.value().note;
    auto self = compareUnits(approx.value(), approx.value(), InputMatch::Same, o, job).value();
    EXPECT_TRUE(self.equal);
    EXPECT_FALSE(self.exact);
    auto negated = dense;
    for (auto& w : negated.weights) w = -w;
    negated.bias = -negated.bias;
    EXPECT_FALSE(compareUnits(approx.value(), signatureOf(negated, o, job).value(), InputMatch::Same, o, job).value().equal);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 30.0);
    // Past the enumeration limit: a clear error.
    auto tooMany = enumerateExcitedStates(std::vector<double>(31, 1.0), 0.0, 0.0, 0.0, job);
    ASSERT_FALSE(tooMany.ok());
    EXPECT_NE(tooMany.error().message.find("past the enumeration limit of 30"), std::string::npos);
    o.maxExactFanIn = 31;
    EXPECT_FALSE(signatureOf(dense, o, job).ok());
    // A cancelled job stops.
    auto token = std::make_shared<CancelToken>();
    token->cancel();
    JobContext stopped(token);
    auto cancelled = enumerateExcitedStates(std::vector<double>(22, 1.0), -3.0, 0.0, 0.0, stopped);
    ASSERT_FALSE(cancelled.ok());
    EXPECT_EQ(cancelled.error().code, ErrorCode::Cancelled);
}

TEST(Equivalence, BadUnitsAreRefusedWithTheReason) {
    JobContext job;
    auto r = signatureOf(unit("bad", 0, {1, 2}, {1.0}, 0.0), {}, job);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("bad: 2 inputs but 1 weights"), std::string::npos);
    r = signatureOf(unit("rep", 0, {1, 1}, {1.0, 2.0}, 0.0), {}, job);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("repeated"), std::string::npos);
    r = signatureOf(unit("nan", 0, {1}, {NAN}, 0.0), {}, job);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not a finite number"), std::string::npos);
}

TEST(Equivalence, EnumerationOnTheGpuEqualsTheCpu_CUDA) {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    std::mt19937_64 rng(9);
    std::normal_distribution<double> n(0.0, 1.0);
    JobContext job;
    for (int inputs : {3, 12, 20}) {
        std::vector<double> w;
        for (int i = 0; i < inputs; ++i) w.push_back(n(rng));
        auto cpu = enumerateExcitedStates(w, 0.3, 0.0, 1e-3, job, "cpu");
        auto gpu = enumerateExcitedStates(w, 0.3, 0.0, 1e-3, job, "cuda");
        ASSERT_TRUE(cpu.ok() && gpu.ok()) << (gpu.ok() ? "" : gpu.error().message);
        EXPECT_EQ(cpu.value().excited, gpu.value().excited) << inputs;
        EXPECT_EQ(cpu.value().ambiguous, gpu.value().ambiguous) << inputs;
        EXPECT_EQ(cpu.value().margin, gpu.value().margin) << inputs;
    }
}

namespace {

// A TorchScript MLP whose layers are `fc1`, `fc2`, ... with the given weights and biases (ReLU
// between), saved under `name`.
std::string scriptMlp(const std::string& name, const std::vector<std::pair<torch::Tensor, torch::Tensor>>& layers) {
    torch::jit::Module net("cx_test." + name);
    std::string forward = "def forward(self, x):\n";
    for (size_t l = 0; l < layers.size(); ++l) {
        torch::jit::Module fc("cx_test.Fc");
        fc.register_parameter("weight", layers[l].first, false);
        fc.register_parameter("bias", layers[l].second, false);
        fc.define("def forward(self, x):\n    return torch.linear(x, self.weight, self.bias)\n");
        const std::string fcName = "fc" + std::to_string(l + 1);
        net.register_module(fcName, fc);
        forward += "    x = self." + fcName + ".forward(x)\n";
        if (l + 1 < layers.size()) forward += "    x = torch.relu(x)\n";
    }
    net.define(forward + "    return x\n");
    const std::string path = cx::test::tempDir() + "/" + name + ".pt";
    net.save(path);
    return path;
}

torch::Tensor rows(const std::vector<std::vector<float>>& r) {
    auto t = torch::zeros({int64_t(r.size()), int64_t(r.front().size())});
    for (size_t i = 0; i < r.size(); ++i)
        for (size_t j = 0; j < r[i].size(); ++j) t[int64_t(i)][int64_t(j)] = r[i][j];
    return t;
}

}  // namespace

// The whole path on model files: A, an XOR of two inputs (two hidden units and an OR), found in B,
// a larger random MLP holding a rescaled, permuted copy; a convolution's input weight is its
// kernel's sum; a batch-norm after a layer is refused with the reason.
TEST(Equivalence, AnXorMlpIsFoundInsideALargerModelFile) {
    const auto a = scriptMlp("xor_a", {{rows({{1, -1}, {-1, 1}}), torch::tensor({-0.5f, -0.5f})}, {rows({{1, 1}}), torch::tensor({-0.5f})}});
    torch::manual_seed(4);
    auto w1 = torch::randn({5, 4}), b1 = torch::randn({5});
    w1[3] = torch::tensor({0.0f, 2.0f, 0.0f, -2.0f});  // x1 and not x3
    b1[3] = -1.0f;
    w1[0] = torch::tensor({0.0f, -3.0f, 0.0f, 3.0f});  // x3 and not x1
    b1[0] = -1.5f;
    auto w2 = torch::randn({3, 5}), b2 = torch::randn({3});
    w2[1] = torch::tensor({2.0f, 0.0f, 0.0f, 2.0f, 0.0f});  // unit 0 or unit 3
    b2[1] = -1.0f;
    const auto b = scriptMlp("xor_b", {{w1, b1}, {w2, b2}});
    auto wa = Workspace::open(a), wb = Workspace::open(b);
    ASSERT_TRUE(wa.ok() && wb.ok());
    std::vector<std::vector<ThresholdUnit>> na, nb;
    for (const std::string layer : {"fc1", "fc2"}) {
        auto ua = circuitUnits(*wa.value(), nullptr, layer), ub = circuitUnits(*wb.value(), nullptr, layer);
        ASSERT_TRUE(ua.ok() && ub.ok()) << (ua.ok() ? ub.error().message : ua.error().message);
        na.push_back(ua.value().units);
        nb.push_back(ub.value().units);
    }
    EXPECT_EQ(na[1][0].inputs, (std::vector<int64_t>{0, 1}));  // fc2 reads fc1's channels
    JobContext job;
    auto found = containNetwork(na, nb, InputMatch::Permuted, false, {}, job);
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_TRUE(found.value().contained);
    ASSERT_EQ(found.value().layers.size(), 2u);
    EXPECT_EQ(found.value().layers[0].pairs, (std::vector<std::pair<size_t, size_t>>{{0, 3}, {1, 0}}));
    EXPECT_EQ(found.value().layers[0].comparisons[0].inputMap, (std::vector<std::pair<int64_t, int64_t>>{{0, 1}, {1, 3}}));
    EXPECT_EQ(found.value().layers[1].pairs, (std::vector<std::pair<size_t, size_t>>{{0, 1}}));

    // A convolution's input weight: the sum of its kernel's taps.
    torch::jit::Module conv("cx_test.ConvNet");
    torch::jit::Module c("cx_test.Conv");
    auto cw = torch::randn({2, 3, 3, 3});
    c.register_parameter("weight", cw, false);
    c.register_parameter("bias", torch::tensor({0.5f, -0.25f}), false);
    c.define("def forward(self, x):\n    return torch.conv2d(x, self.weight, self.bias, [1, 1], [1, 1])\n");
    conv.register_module("conv", c);
    conv.define("def forward(self, x):\n    return self.conv.forward(x)\n");
    const std::string convPath = cx::test::tempDir() + "/conv_units.pt";
    conv.save(convPath);
    auto wc = Workspace::open(convPath);
    ASSERT_TRUE(wc.ok());
    auto units = circuitUnits(*wc.value(), nullptr, "conv");
    ASSERT_TRUE(units.ok()) << units.error().message;
    ASSERT_EQ(units.value().units.size(), 2u);
    for (int o = 0; o < 2; ++o)
        for (int i = 0; i < 3; ++i) EXPECT_NEAR(units.value().units[size_t(o)].weights[size_t(i)], cw[o][i].sum().item<double>(), 1e-6);
    EXPECT_DOUBLE_EQ(units.value().units[1].bias, -0.25);

    // A batch-norm after the layer: refused, naming it.
    torch::jit::Module bn("cx_test.ConvBn");
    bn.register_module("conv", c);
    bn.register_parameter("gamma", torch::ones({2}), false);
    bn.register_parameter("beta", torch::zeros({2}), false);
    bn.register_buffer("mean", torch::zeros({2}));
    bn.register_buffer("var", torch::ones({2}));
    bn.define(R"(
def forward(self, x):
    return torch.batch_norm(self.conv.forward(x), self.gamma, self.beta, self.mean, self.var, False, 0.1, 1e-5, False)
)");
    const std::string bnPath = cx::test::tempDir() + "/conv_bn_units.pt";
    bn.save(bnPath);
    auto wn = Workspace::open(bnPath);
    ASSERT_TRUE(wn.ok()) << wn.error().message;
    auto refused = circuitUnits(*wn.value(), nullptr, "conv");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("a batch-norm follows conv"), std::string::npos) << refused.error().message;
    EXPECT_FALSE(circuitUnits(*wc.value(), nullptr, "nothing").ok());
}

TEST(UnitStrings, TokensSimilarityAndThePrefilter) {
    StringOptions o;
    const auto u = unit("u", 7, {3, 5, 9}, {0.5, -2.0, 0.05}, -1.0);
    EXPECT_EQ(unitTokens(u, o), (std::vector<std::string>{"-5->7", "+3->7", "b-"}));  // 0.05 < 10% of 2
    o.permutationInvariant = true;
    EXPECT_EQ(unitTokens(u, o), (std::vector<std::string>{"-4", "+1", "b-"}));
    // A permuted, rescaled copy reads the same in shape tokens.
    const auto copy = unit("c", 2, {11, 4, 8}, {-4.0, 0.02, 1.0}, -0.3);
    EXPECT_DOUBLE_EQ(stringSimilarity(unitTokens(u, o), unitTokens(copy, o)), 1.0);
    EXPECT_DOUBLE_EQ(stringSimilarity({"a", "b", "c"}, {"a", "x", "c"}), 1.0 - 1.0 / 3.0);
    EXPECT_DOUBLE_EQ(stringSimilarity({"a"}, {"b", "c"}), 0.0);
    EXPECT_EQ(layerString({u}, o), "u: -4 +1 b-\n");
    // As a prefilter on the hand-built layer: fewer pairs compared, the same matching.
    std::mt19937_64 rng(11);
    const std::vector<ThresholdUnit> a = {unit("and", 0, {0, 1}, {1, 1}, -1.5), unit("or", 1, {2, 3, 4}, {1, 1, 1}, -0.5)};
    std::vector<ThresholdUnit> b;
    for (int j = 0; j < 12; ++j) b.push_back(randomUnit(rng, "r" + std::to_string(j), j, {1, 3, 6, 9, 12, 14}));
    b[4] = unit("and'", 4, {9, 14}, {2.5, 3.0}, -4.0);
    b[9] = unit("or'", 9, {3, 6, 12}, {0.7, 1.1, 0.9}, -0.2);
    const auto similarity = similarityMatrix(a, b, o);
    EXPECT_DOUBLE_EQ(similarity[0][4], 1.0);
    JobContext job;
    auto all = matchLayer(a, b, InputMatch::Permuted, false, {}, job);
    auto filtered = matchLayer(a, b, InputMatch::Permuted, false, {}, job, nullptr, double(1u << 30), &similarity, 0.6);
    ASSERT_TRUE(all.ok() && filtered.ok());
    EXPECT_EQ(filtered.value().pairs, all.value().pairs);
    EXPECT_LE(filtered.value().compared, all.value().compared);
    auto none = matchLayer(a, b, InputMatch::Permuted, false, {}, job, nullptr, 1e9, &similarity, 2.0);  // above any similarity
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(none.value().compared, 0);
    EXPECT_FALSE(none.value().contained);
}
