// Receptive fields from the graph: hand-computed fields on hand-built nets (stride, dilation,
// padding, pooling), and, on every convolution of the committed models, equality with the
// support of the input gradient of each output position (an independent computation).
#include <gtest/gtest.h>

#include <torch/script.h>
#include <torch/torch.h>

#include "engine/model/internal/forward_plan.h"
#include "engine/model/model.h"
#include "test_util.h"

using namespace cx::engine;
using Kind = ReceptiveField::Kind;

namespace {

// A module whose forward is `source`, with 2-d convolution weights named w0, w1, ... of the
// given shapes (random, so that no gradient cancels by accident).
std::shared_ptr<Model> scripted(const std::string& name, const std::vector<std::vector<int64_t>>& weights,
                                const std::string& source) {
    torch::jit::Module net("cx_test." + name);
    for (size_t i = 0; i < weights.size(); ++i)
        net.register_parameter("w" + std::to_string(i), torch::randn(weights[i]), false);
    net.define(source);
    const std::string path = cx::test::tempDir() + "/" + name + ".pt";
    net.save(path);
    auto m = Model::load(path);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return m.ok() ? m.value() : nullptr;
}

void expectField(const LayerInfo& l, int64_t jump, int64_t start, int64_t size) {
    ASSERT_EQ(l.field.kind, Kind::Exact) << l.name << ": " << l.field.reason;
    for (int d = 0; d < 2; ++d) {
        EXPECT_EQ(l.field.jump[d], jump) << l.name;
        EXPECT_EQ(l.field.start[d], start) << l.name;
        EXPECT_EQ(l.field.size[d], size) << l.name;
    }
}

// The bounding box (top, left, bottom, right) of the input pixels whose gradient reaches
// output position (i, j) of the plan's probe, summed over its channels and over the images of `x`
// (a few random images, so that no pixel is missed because a ReLU happened to be off on one).
std::array<int64_t, 4> gradientBox(const ForwardPlan& plan, const torch::Tensor& x, int64_t i, int64_t j) {
    auto input = x.clone().requires_grad_(true);
    auto y = plan.run({input}).probes[0];
    auto g = torch::autograd::grad({y.index({torch::indexing::Slice(), torch::indexing::Slice(), i, j}).sum()}, {input})[0]
                 .abs()
                 .sum(std::vector<int64_t>{0, 1});
    auto hit = (g > 0).nonzero();
    EXPECT_GT(hit.size(0), 0);
    auto lo = std::get<0>(hit.min(0)), hi = std::get<0>(hit.max(0));
    return {lo[0].item<int64_t>(), lo[1].item<int64_t>(), hi[0].item<int64_t>(), hi[1].item<int64_t>()};
}

// Every 2-d convolution's field of model `name` equals the gradient's support: at every output
// position where it is Exact, at the centre where it is Whole (the whole image).
void expectFieldsEqualGradients(const std::string& name, const torch::Tensor& x) {
    auto loaded = Model::load(cx::test::modelPath(name));
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    const Model& m = *loaded.value();
    int exact = 0;
    for (size_t l = 0; l < m.summary().layers.size(); ++l) {
        const auto& layer = m.summary().layers[l];
        // A gated field (globalGain) is local by design: the gradient reaches every pixel.
        if (layer.kind != LayerKind::Conv2d || layer.field.kind == Kind::Unknown || layer.field.globalGain) continue;
        auto plan = ForwardPlan::build(m, {{int(l), ProbeSide::Output}}, false).take();
        std::vector<int64_t> shape;
        {
            torch::NoGradGuard off;
            shape = plan.run({x}).probes[0].sizes().vec();
        }
        const bool whole = layer.field.kind == Kind::Whole;
        for (int64_t i = whole ? shape[2] / 2 : 0; i < (whole ? shape[2] / 2 + 1 : shape[2]); ++i)
            for (int64_t j = whole ? shape[3] / 2 : 0; j < (whole ? shape[3] / 2 + 1 : shape[3]); ++j) {
                const auto g = gradientBox(plan, x, i, j);
                int64_t box[4];
                layer.field.box(i, j, x.size(2), x.size(3), box);
                ASSERT_EQ(std::vector<int64_t>(box, box + 4), std::vector<int64_t>(g.begin(), g.end()))
                    << name << " " << layer.name << " at " << i << "," << j;
            }
        exact += whole ? 0 : 1;
    }
    std::string fields;
    for (const auto& layer : m.summary().layers) fields += layer.name + ": " + layer.field.reason + "; ";
    EXPECT_GT(exact, 0) << name << " " << fields;
}

}  // namespace

TEST(ReceptiveField, StrideDilationPaddingAndPoolingByHand) {
    // ResNet's stem (7x7 stride 2 padding 3, max pool 3 stride 2 padding 1), a dilated 3x3 and an
    // average pool: (jump, start, size) = (2,-3,7), then (4,-9,19) for the 3x3 of dilation 2 padding 2.
    auto m = scripted("Stem", {{4, 3, 7, 7}, {5, 4, 3, 3}, {2, 5, 1, 1}},
                      "def forward(self, x):\n"
                      "    x = torch.conv2d(x, self.w0, None, [2, 2], [3, 3])\n"
                      "    x = torch.max_pool2d(torch.relu(x), [3, 3], [2, 2], [1, 1])\n"
                      "    x = torch.conv2d(x, self.w1, None, [1, 1], [2, 2], [2, 2])\n"
                      "    x = torch.avg_pool2d(x, [2, 2])\n"
                      "    return torch.conv2d(x, self.w2)\n");
    ASSERT_TRUE(m);
    const auto& layers = m->summary().layers;
    ASSERT_EQ(layers.size(), 3u);
    expectField(layers[0], 2, -3, 7);
    // Pool: start -3 - 1*2 = -5, size 7 + 2*2 = 11, jump 4. Dilated 3x3: start -5 - 2*4 = -13,
    // size 11 + 2*2*4 = 27. Average pool 2: size 27 + 1*4 = 31, jump 8; the 1x1 keeps it.
    expectField(layers[1], 4, -13, 27);
    expectField(layers[2], 8, -13, 31);
    int64_t box[4];
    layers[1].field.box(3, 0, 64, 64, box);  // rows -13 + 12 .. +26, columns clipped at 0
    EXPECT_EQ(std::vector<int64_t>(box, box + 4), (std::vector<int64_t>{0, 0, 25, 13}));
}

TEST(ReceptiveField, PaddingOpsAndChannelJoinsKeepTheField) {
    // F.pad's left/top amounts move the start; a channel cat of two branches takes their union;
    // a slice along the height is not followed, and says so.
    auto m = scripted("Pads", {{2, 3, 3, 3}, {2, 3, 5, 5}, {1, 4, 1, 1}, {1, 2, 1, 1}},
                      "def forward(self, x):\n"
                      "    a = torch.conv2d(torch.constant_pad_nd(x, [2, 0, 1, 1]), self.w0)\n"
                      "    c = torch.conv2d(x, self.w1, None, [1, 1], [2, 2])\n"
                      "    y = torch.conv2d(torch.cat([a, c], 1), self.w2)\n"
                      "    z = torch.conv2d(c[:, :, 1:, :], self.w3)\n"
                      "    return y + z.sum()\n");
    ASSERT_TRUE(m);
    const auto& layers = m->summary().layers;
    ASSERT_EQ(layers.size(), 4u);
    ASSERT_EQ(layers[0].field.kind, Kind::Exact) << layers[0].field.reason;
    EXPECT_EQ(layers[0].field.start[0], -1);
    EXPECT_EQ(layers[0].field.start[1], -2);
    EXPECT_EQ(layers[0].field.size[0], 3);
    expectField(layers[1], 1, -2, 5);
    expectField(layers[2], 1, -2, 5);  // rows: [-1, 1] and [-2, 2]; columns: [-2, 0] and [-2, 2]
    EXPECT_EQ(layers[3].field.kind, Kind::Unknown);
    EXPECT_NE(layers[3].field.reason.find("slice"), std::string::npos) << layers[3].field.reason;
}

TEST(ReceptiveField, GlobalMixingIsWholeAndUnfollowedOpsAreNamed) {
    auto m = scripted("Mixing", {{4, 3, 3, 3}, {4, 4, 1, 1}, {4, 4, 3, 3}, {4, 4, 3, 3}},
                      "def forward(self, x):\n"
                      "    x = torch.conv2d(x, self.w0, None, [1, 1], [1, 1])\n"
                      "    s = torch.sigmoid(torch.conv2d(torch.adaptive_avg_pool2d(x, [1, 1]), self.w1))\n"
                      "    x = torch.conv2d(x * s, self.w2, None, [1, 1], [1, 1])\n"
                      "    u = torch.upsample_nearest2d(x, [16, 16], None, None)\n"
                      "    return torch.conv2d(u, self.w3)\n");
    ASSERT_TRUE(m);
    const auto& layers = m->summary().layers;
    ASSERT_EQ(layers.size(), 4u);
    expectField(layers[0], 1, -1, 3);
    EXPECT_EQ(layers[1].field.kind, Kind::Whole);  // after global pooling
    // Squeeze-and-excitation scales every position by that gate: the local field, marked.
    expectField(layers[2], 1, -2, 5);
    EXPECT_TRUE(layers[2].field.globalGain);
    EXPECT_FALSE(layers[0].field.globalGain);
    EXPECT_EQ(layers[3].field.kind, Kind::Unknown);
    EXPECT_NE(layers[3].field.reason.find("upsample_nearest2d"), std::string::npos) << layers[3].field.reason;
    int64_t box[4];
    layers[3].field.box(2, 2, 8, 9, box);  // unknown: the whole image, never a guess
    EXPECT_EQ(std::vector<int64_t>(box, box + 4), (std::vector<int64_t>{0, 0, 7, 8}));
}

TEST(ReceptiveField, LinearLayersAfterAFlattenSeeTheWholeImage) {
    auto m = Model::load(cx::test::modelPath("chain"));
    ASSERT_TRUE(m.ok());
    const auto& layers = m.value()->summary().layers;
    ASSERT_EQ(layers.size(), 5u);
    expectField(layers[0], 1, -1, 3);
    expectField(layers[1], 2, -3, 8);  // pool 2: jump 2, size 4; 3x3 padding 1: start -1 - 2
    EXPECT_EQ(layers[3].field.kind, Kind::Whole) << layers[3].field.reason;
    EXPECT_EQ(layers[4].field.kind, Kind::Whole);
}

TEST(ReceptiveField, EqualsTheInputGradientsSupportOnTheCommittedModels) {
    torch::manual_seed(5);
    const auto x = torch::randn({4, 3, 14, 14});
    for (const std::string name : {"chain", "chain_traced", "residual", "residual_traced", "concat", "compat_padding_script",
                                   "compat_padding_trace", "compat_mobile_script", "compat_mobile_trace", "compat_se_script",
                                   "compat_shuffle_script", "compat_dense_script"})
        expectFieldsEqualGradients(name, x);
}
