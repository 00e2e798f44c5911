// Feature visualisation: the Fourier parameterisation round-trips; optimisation beats every image
// of the demo set on a hand-set edge filter and on the demo's curve unit; a circuit without the
// unit's strongest inputs gives another picture; batching and the cache change nothing but time.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <chrono>

#include "engine/data/internal/shapes_render.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/pruning/internal/mask_function.h"
#include "engine/vis/feature_vis.h"
#include "engine/vis/internal/fourier_image.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

const std::string kDemo = std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt";

VisSettings demoSettings(int steps) {
    VisSettings s;
    s.steps = steps;
    s.height = s.width = 64;
    s.normalize = false;  // the demo CNN reads 0..1
    return s;
}

std::shared_ptr<Workspace> open(const std::string& path) {
    auto w = Workspace::open(path);
    EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().message);
    return w.ok() ? w.value() : nullptr;
}

torch::Tensor imageOf(const VisPicture& p) {
    return torch::from_blob(const_cast<float*>(p.image.data()), {p.channels, p.height, p.width}, torch::kFloat32).clone();
}

// The largest activation of `layer`:`unit` anywhere in any of `images`.
double bestOver(const Model& m, const std::string& layer, int64_t unit, const torch::Tensor& images) {
    torch::NoGradGuard off;
    auto plan = ForwardPlan::build(m, {{m.summary().indexOf(layer), ProbeSide::Output}}, false).take();
    return plan.run({images}).probes[0].select(1, unit).max().item<double>();
}

// A one-layer model whose filter responds to a vertical dark-to-bright edge (left -1, right +1).
std::string edgeModel() {
    torch::jit::Module net("cx_test.Edge");
    auto w = torch::zeros({2, 3, 5, 5});
    w[0].narrow(2, 0, 2).fill_(-1.0);
    w[0].narrow(2, 3, 2).fill_(1.0);
    w[1].fill_(0.1);
    net.register_parameter("weight", w, false);
    net.define("def forward(self, x):\n    return torch.relu(torch.conv2d(x, self.weight))\n");
    const std::string path = cx::test::tempDir() + "/edge.pt";
    net.save(path);
    return path;
}

}  // namespace

TEST(FourierImage, RoundTripsImagesOfEverySize) {
    for (const auto& shape : std::vector<std::vector<int64_t>>{{2, 3, 16, 16}, {1, 3, 15, 22}, {3, 1, 9, 8}}) {
        const auto images = torch::rand(shape) * 0.9 + 0.05;
        const auto back = FourierImage::fromImages(images).image();
        EXPECT_LT((back - images).abs().max().item<double>(), 2e-5) << shape[2] << "x" << shape[3];
    }
}

TEST(FourierImage, StartsFromEachImagesOwnSeed) {
    FourierImage a(2, 3, 12, 12, {7, 9}), b(1, 3, 12, 12, {9});
    EXPECT_TRUE(torch::equal(a.image()[1], b.image()[0]));
    EXPECT_FALSE(torch::equal(a.image()[0], a.image()[1]));
}

TEST(FeatureVis, AnEdgeFilterGetsItsEdgeAboveEveryDemoImage) {
    auto w = open(edgeModel());
    ASSERT_TRUE(w);
    auto s = demoSettings(256);
    s.transforms = false;  // the optimiser alone: the edge is the optimum only where it stays put
    JobContext job;
    auto pictures = visualizeUnits(*w, nullptr, {{"weight", 0}}, s, job);
    ASSERT_TRUE(pictures.ok()) << pictures.error().message;
    const auto& p = pictures.value()[0];
    const auto shapes = generateShapes({200, 3, 64});
    EXPECT_GT(p.activation, bestOver(*w->model(), "weight", 0, shapes.images));
    // The crop is the 5 x 5 field of the centre position (60 x 60 map: position 30, 30).
    EXPECT_EQ(p.box, (std::array<int64_t, 4>{30, 30, 34, 34}));
    EXPECT_TRUE(p.cropNote.empty());
    // Dark on the left of the field, bright on the right.
    const auto field = imageOf(p).narrow(1, 30, 5).narrow(2, 30, 5);
    EXPECT_LT(field.narrow(2, 0, 2).mean().item<double>() + 0.3, field.narrow(2, 3, 2).mean().item<double>());
}

TEST(FeatureVis, TheDemoCurveUnitBeatsEveryDemoImage) {
    auto w = open(kDemo);
    ASSERT_TRUE(w);
    JobContext job;
    auto pictures = visualizeUnits(*w, nullptr, {{"features.conv4", 27}}, demoSettings(512), job);
    ASSERT_TRUE(pictures.ok()) << pictures.error().message;
    const auto shapes = generateShapes({600, 424242, 64});
    const double best = bestOver(*w->model(), "features.conv4", 27, shapes.images);
    EXPECT_GT(pictures.value()[0].activation, best);
    // The crop is the graph's receptive field of the centre position (28 x 28 at jump 4).
    const auto& field = w->summary().layers[size_t(w->summary().indexOf("features.conv4"))].field;
    int64_t box[4];
    field.box(8, 8, 64, 64, box);  // the 16 x 16 map's centre
    EXPECT_EQ(pictures.value()[0].box, (std::array<int64_t, 4>{box[0], box[1], box[2], box[3]}));
}

TEST(FeatureVis, ACircuitWithoutTheStrongestInputsGivesAnotherPicture) {
    auto w = open(kDemo);
    ASSERT_TRUE(w);
    const Model& m = *w->model();
    const int layer = m.summary().indexOf("features.conv2");
    const int64_t unit = 3;
    // Kernel mask of conv2: the unit's 4 strongest input kernels (by |w|) removed, all else kept.
    const auto weight = m.impl().param(m.summary().layers[size_t(layer)].param);
    auto grid = torch::ones({weight.size(0), weight.size(1)}, torch::kBool);
    const auto strongest = std::get<1>(weight[unit].abs().sum({1, 2}).topk(4));
    for (int64_t k = 0; k < 4; ++k) grid[unit][strongest[k].item<int64_t>()] = false;
    auto mask = std::make_shared<Mask>();
    mask->data.granularity = Granularity::Kernel;
    mask->data.masks[layer] = grid;
    const auto s = demoSettings(256);
    JobContext job;
    const VisObjective objective{"features.conv2", unit};
    auto model1 = visualizeUnits(*w, nullptr, {objective}, s, job).take();
    auto model2 = visualizeUnits(*w, nullptr, {objective}, s, job).take();
    auto circuit = visualizeUnits(*w, mask, {objective}, s, job).take();
    EXPECT_TRUE(torch::equal(imageOf(model1[0]), imageOf(model2[0])));  // deterministic
    EXPECT_GT((imageOf(model1[0]) - imageOf(circuit[0])).abs().mean().item<double>(), 0.05);
    // Each picture's activation is the unit's at the centre in its own network.
    auto overrides = maskOverrides(m, mask->data, nullptr, "cpu").take();
    auto plan = ForwardPlan::build(m, {{layer, ProbeSide::Output}}, false, overrides.params).take();
    auto plain = ForwardPlan::build(m, {{layer, ProbeSide::Output}}, false).take();
    torch::NoGradGuard off;
    const auto both = torch::stack({imageOf(model1[0]), imageOf(circuit[0])});
    const auto inCircuit = plan.run({both}, overrides.tensors).probes[0].select(1, unit);
    const auto inModel = plain.run({both}).probes[0].select(1, unit);
    const int64_t c = inModel.size(1) / 2;
    EXPECT_NEAR(model1[0].activation, inModel[0][c][c].item<double>(), 1e-4 * (1 + std::abs(model1[0].activation)));
    EXPECT_FALSE(model1[0].flat);
    EXPECT_FALSE(circuit[0].flat);
    // Every input kernel of the unit removed: it no longer depends on the input, and says so.
    auto cut = std::make_shared<Mask>(*mask);
    cut->data.masks[layer] = grid.clone();
    cut->data.masks[layer][unit].fill_(false);
    auto cutRun = visualizeUnits(*w, cut, {objective}, demoSettings(16), job);
    ASSERT_TRUE(cutRun.ok()) << cutRun.error().message;
    const auto& disconnected = cutRun.value();
    EXPECT_TRUE(disconnected[0].flat);
    EXPECT_NEAR(circuit[0].activation, inCircuit[1][c][c].item<double>(), 1e-4 * (1 + std::abs(circuit[0].activation)));
}

// Each image has its own seed, transforms and spectrum, and Adam is element-wise: a unit's run
// is the same in any batch up to the rounding of the batched convolutions. Adam amplifies that
// rounding where a gradient is near zero (its first steps are lr * sign(g)), so pictures agree
// closely after a few steps and in their objective after many, not bit for bit.
TEST(FeatureVis, BatchedUnitsEqualOneAtATimeAndTheCacheSkipsTheWork) {
    auto w = open(kDemo);
    ASSERT_TRUE(w);
    const std::vector<VisObjective> units = {{"features.conv3", 1}, {"features.conv3", 4}, {"features.conv5", 2, VisKind::Channel},
                                             {"classifier.fc2", 1, VisKind::Neuron, {}, true}};
    JobContext job;
    for (int steps : {4, 128}) {
        auto s = demoSettings(steps);
        std::vector<std::string> arrived;
        auto batched = visualizeUnits(*w, nullptr, units, s, job, [&](const VisPicture& p) { arrived.push_back(p.objective.text()); }).take();
        ASSERT_EQ(arrived.size(), units.size());
        for (size_t i = 0; i < units.size(); ++i) {
            auto alone = visualizeUnits(*w, nullptr, {units[i]}, s, job).take();
            if (steps == 4)
                EXPECT_LT((imageOf(alone[0]) - imageOf(batched[i])).abs().mean().item<double>(), 1e-2) << units[i].text();
            const double a = alone[0].activation, b = batched[i].activation;
            EXPECT_NEAR(a, b, (steps == 4 ? 0.02 : 0.1) * (1 + std::abs(a))) << units[i].text() << " after " << steps;
        }
        EXPECT_EQ(batched[2].cropNote, "the objective covers every position");
        EXPECT_EQ(batched[3].cropNote, "a linear unit sees the whole image");
    }
    EXPECT_EQ(units[3].text(), "classifier.fc2:1 negative");

    auto s = demoSettings(64);
    s.snapshots = {16};
    s.cacheDir = cx::test::tempDir() + "/vis-cache";
    auto first = visualizeUnits(*w, nullptr, units, s, job).take();
    const auto t0 = std::chrono::steady_clock::now();
    auto again = visualizeUnits(*w, nullptr, units, s, job).take();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(seconds, 1.0);
    for (size_t i = 0; i < units.size(); ++i) {
        EXPECT_FALSE(first[i].fromCache);
        EXPECT_TRUE(again[i].fromCache);
        EXPECT_EQ(again[i].image, first[i].image);
        ASSERT_EQ(first[i].snapshots.size(), 1u);
        EXPECT_EQ(again[i].snapshots, first[i].snapshots);
        EXPECT_EQ(again[i].box, first[i].box);
        EXPECT_EQ(again[i].crop.rgb, first[i].crop.rgb);
        EXPECT_DOUBLE_EQ(again[i].activation, first[i].activation);
    }
    s.steps = 32;  // other settings: another entry
    s.snapshots = {};
    EXPECT_FALSE(visualizeUnits(*w, nullptr, {units[0]}, s, job).take()[0].fromCache);
}

TEST(FeatureVis, BadObjectivesAndModelsAreRefusedByName) {
    auto w = open(kDemo);
    ASSERT_TRUE(w);
    JobContext job;
    const auto s = demoSettings(4);
    auto noLayer = visualizeUnits(*w, nullptr, {{"features.conv9", 0}}, s, job);
    ASSERT_FALSE(noLayer.ok());
    EXPECT_EQ(noLayer.error().message, "the model has no layer 'features.conv9'");
    auto outOfRange = visualizeUnits(*w, nullptr, {{"features.conv4", 48}}, s, job);
    ASSERT_FALSE(outOfRange.ok());
    EXPECT_EQ(outOfRange.error().message, "unit 48 is out of range: layer 'features.conv4' has 48 units");
    auto direction = visualizeUnits(*w, nullptr, {{"features.conv4", -1, VisKind::Direction, {1.0, 2.0}}}, s, job);
    ASSERT_FALSE(direction.ok());
    EXPECT_NE(direction.error().message.find("has 48 channels"), std::string::npos);
    auto tokens = open(cx::test::modelPath("tiny_mlp"));
    ASSERT_TRUE(tokens);
    auto notAnImage = visualizeUnits(*tokens, nullptr, {{tokens->summary().layers[0].name, 0}}, s, job);
    ASSERT_FALSE(notAnImage.ok());
    EXPECT_EQ(notAnImage.error().code, ErrorCode::InvalidInput);
    EXPECT_NE(notAnImage.error().message.find("1- or 3-channel image"), std::string::npos);
}

TEST(FeatureVis, ACancelledRunStopsBetweenSteps) {
    auto w = open(kDemo);
    ASSERT_TRUE(w);
    JobContext job;
    int steps = 0;
    job.onProgress = [&](const Progress&) {
        if (++steps == 3) job.token()->cancel();
    };
    auto r = visualizeUnits(*w, nullptr, {{"features.conv4", 1}}, demoSettings(500), job);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled);
    EXPECT_LE(steps, 4);
}
