// Dataset examples: every unit's top-k images from one batched pass equal a ranking of each
// image's forward alone; the patches are the input pixels whose gradient reaches the unit; the
// circuit's ranking runs the circuit; ties keep image order; bad requests are refused.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "engine/data/internal/image_set.h"
#include "engine/data/internal/shapes_render.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/pruning/internal/mask_function.h"
#include "engine/vis/top_examples.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

const std::string kDemo = std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt";

std::shared_ptr<Workspace> open(const std::string& path) {
    auto w = Workspace::open(path);
    return w ? w.take() : nullptr;
}

// 150 demo images (not a multiple of the 64-image batch) as a file.
std::string demoImages() {
    static const std::string path = [] {
        const std::string p = cx::test::tempDir() + "/shapes.safetensors";
        EXPECT_TRUE(saveImages(p, generateShapes({150, 77, 64})).ok());
        return p;
    }();
    return path;
}

struct Ranked {
    double value;
    int64_t image, row, col;
};

// Each image through the network alone: per unit, every image's largest value and where, ranked.
std::vector<std::vector<Ranked>> oneImageAtATime(const Model& m, const torch::Tensor& images, int layer,
                                                 const std::vector<int64_t>& units, const Overrides& overrides) {
    auto plan = ForwardPlan::build(m, {{layer, ProbeSide::Output}}, false, overrides.params).take();
    torch::NoGradGuard off;
    std::vector<std::vector<Ranked>> out(units.size());
    for (int64_t i = 0; i < images.size(0); ++i) {
        const auto y = plan.run({images.narrow(0, i, 1)}, overrides.tensors).probes[0][0];
        for (size_t u = 0; u < units.size(); ++u) {
            const auto map = y[units[u]];
            const auto at = map.flatten().argmax().item<int64_t>();
            out[u].push_back({map.flatten()[at].item<double>(), i, at / map.size(1), at % map.size(1)});
        }
    }
    for (auto& r : out)
        std::stable_sort(r.begin(), r.end(), [](const Ranked& a, const Ranked& b) { return a.value > b.value; });
    return out;
}

// The rows and columns of input pixels whose gradient reaches output (row, col) of a unit.
std::array<int64_t, 4> gradientBox(const Model& m, const torch::Tensor& image, int layer, int64_t unit, int64_t row, int64_t col) {
    auto plan = ForwardPlan::build(m, {{layer, ProbeSide::Output}}, false).take();
    auto x = image.unsqueeze(0).clone().requires_grad_(true);
    const auto y = plan.run({x}).probes[0];
    const auto g = torch::autograd::grad({y[0][unit][row][col]}, {x})[0][0].abs().sum(0);
    const auto hit = (g > 0).nonzero();
    const auto lo = std::get<0>(hit.min(0)), hi = std::get<0>(hit.max(0));
    return {lo[0].item<int64_t>(), lo[1].item<int64_t>(), hi[0].item<int64_t>(), hi[1].item<int64_t>()};
}

void expectSameRanking(const std::vector<UnitExamples>& got, const std::vector<std::vector<Ranked>>& want, size_t k) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t u = 0; u < got.size(); ++u) {
        ASSERT_EQ(got[u].top.size(), k);
        for (size_t r = 0; r < k; ++r) {
            const auto& e = got[u].top[r];
            const auto& w = want[u][r];
            EXPECT_NEAR(e.value, w.value, 1e-4 * (1 + std::abs(w.value))) << "unit " << got[u].unit << " rank " << r;
            // Batched and single convolutions round differently: the order is only checked where it is clear.
            const bool clear = (r == 0 || want[u][r - 1].value - w.value > 1e-3) && want[u][r].value - want[u][r + 1].value > 1e-3;
            if (clear) {
                EXPECT_EQ(e.image, w.image) << "unit " << got[u].unit << " rank " << r;
                EXPECT_EQ(e.row, w.row);
                EXPECT_EQ(e.col, w.col);
            }
        }
    }
}

}  // namespace

TEST(TopExamples, OneBatchedPassRanksLikeEachImageAlone) {
    auto w = open(kDemo);
    ASSERT_TRUE(w);
    const Model& m = *w->model();
    const int layer = m.summary().indexOf("features.conv4");
    const std::vector<int64_t> units = {27, 3, 0, 47};
    JobContext job;
    auto got = topExamples(*w, nullptr, demoImages(), "features.conv4", units, 7, job);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got.value().layer, "features.conv4");
    EXPECT_TRUE(got.value().boxNote.empty());
    for (size_t u = 0; u < units.size(); ++u) EXPECT_EQ(got.value().units[u].unit, units[u]);
    const auto images = w->impl().images(demoImages(), {}).take()->images;
    expectSameRanking(got.value().units, oneImageAtATime(m, images, layer, units, {}), 7);
    // The patch is the graph's receptive field of the position, and holds every pixel whose
    // gradient reaches the unit on that image (ReLUs that are off there may reach fewer).
    const auto& field = m.summary().layers[size_t(layer)].field;
    for (size_t u : {0, 1})
        for (const auto& e : got.value().units[u].top) {
            int64_t rule[4];
            field.box(e.row, e.col, 64, 64, rule);
            EXPECT_EQ(e.box, (std::array<int64_t, 4>{rule[0], rule[1], rule[2], rule[3]}));
            const auto reach = gradientBox(m, images[e.image], layer, units[u], e.row, e.col);
            EXPECT_GE(reach[0], e.box[0]);
            EXPECT_GE(reach[1], e.box[1]);
            EXPECT_LE(reach[2], e.box[2]);
            EXPECT_LE(reach[3], e.box[3]);
            EXPECT_GT(reach[2] - reach[0], (e.box[2] - e.box[0]) / 2) << "image " << e.image;  // and most of it
        }
    // All units when none are named, each with k examples; k larger than the set gives every image.
    auto all = topExamples(*w, nullptr, demoImages(), "classifier.fc2", {}, 200, job);
    ASSERT_TRUE(all) << all.error().message;
    EXPECT_EQ(all.value().units.size(), 6u);
    EXPECT_EQ(all.value().units[0].top.size(), 150u);
    EXPECT_EQ(all.value().boxNote, "a linear unit sees the whole image");
    EXPECT_EQ(all.value().units[0].top[0].box, (std::array<int64_t, 4>{0, 0, 63, 63}));
    for (size_t r = 1; r < 150; ++r) EXPECT_GE(all.value().units[2].top[r - 1].value, all.value().units[2].top[r].value);
}

TEST(TopExamples, ACircuitRanksItsOwnActivationsAndTiesKeepImageOrder) {
    auto w = open(kDemo);
    ASSERT_TRUE(w);
    const Model& m = *w->model();
    const int layer = m.summary().indexOf("features.conv2");
    // conv2:3 without its 4 strongest input kernels; conv2:5 with none (its output is its bias alone).
    const auto weight = m.impl().param(m.summary().layers[size_t(layer)].param);
    auto grid = torch::ones({weight.size(0), weight.size(1)}, torch::kBool);
    const auto strongest = std::get<1>(weight[3].abs().sum({1, 2}).topk(4));
    for (int64_t k = 0; k < 4; ++k) grid[3][strongest[k].item<int64_t>()] = false;
    grid[5].fill_(false);
    auto mask = std::make_shared<Mask>();
    mask->data.granularity = Granularity::Kernel;
    mask->data.masks[layer] = grid;
    JobContext job;
    auto got = topExamples(*w, mask, demoImages(), "features.conv2", {3, 5}, 6, job);
    ASSERT_TRUE(got) << got.error().message;
    const auto images = w->impl().images(demoImages(), {}).take()->images;
    auto overrides = maskOverrides(m, mask->data, nullptr, "cpu").take();
    const auto want = oneImageAtATime(m, images, layer, {3}, overrides);
    expectSameRanking({got.value().units[0]}, want, 6);
    auto model = topExamples(*w, nullptr, demoImages(), "features.conv2", {3}, 6, job).take();
    EXPECT_NE(model.units[0].top[0].value, got.value().units[0].top[0].value);  // the circuit is not the model
    // A unit with no kept input is the same on every image: the first images, in order.
    const auto& flat = got.value().units[1].top;
    for (size_t r = 0; r < flat.size(); ++r) {
        EXPECT_EQ(flat[r].image, int64_t(r));
        EXPECT_EQ(flat[r].value, flat[0].value);
    }
}

TEST(TopExamples, SheetsHoldARowPerNetworkAndBadRequestsAreRefused) {
    auto w = open(kDemo);
    ASSERT_TRUE(w);
    JobContext job;
    auto model = topExamples(*w, nullptr, demoImages(), "features.conv1", {0, 1}, 4, job).take();
    auto again = model;
    const std::string dir = cx::test::tempDir() + "/sheets";
    auto files = writeExampleSheets(*w, demoImages(), model, &again, dir, 32);
    ASSERT_TRUE(files) << files.error().message;
    ASSERT_EQ(files.value().size(), 2u);
    EXPECT_EQ(files.value()[0], dir + "/features_conv1_0.png");
    std::ifstream in(files.value()[1], std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto sheet = decodeImage(bytes, "sheet", [] { ImageOptions o; o.resize = 0; o.crop = 0; o.normalize = false; return o; }());
    ASSERT_TRUE(sheet) << sheet.error().message;
    EXPECT_EQ(sheet.value().size(1), 2 * (32 + 2) + 2);  // two rows of 32-pixel cells, 2-pixel gaps
    EXPECT_EQ(sheet.value().size(2), 4 * (32 + 2) + 2);
    // The two rows are the same examples here: the same pixels.
    EXPECT_TRUE(torch::equal(sheet.value().narrow(1, 2, 32), sheet.value().narrow(1, 36, 32)));
    EXPECT_LT(sheet.value().narrow(1, 2, 32).narrow(2, 2, 32).min().item<float>(), 1.0f);  // a patch, not white

    auto noLayer = topExamples(*w, nullptr, demoImages(), "features.conv9", {}, 4, job);
    ASSERT_FALSE(noLayer);
    EXPECT_NE(noLayer.error().message.find("no layer 'features.conv9'"), std::string::npos);
    auto badUnit = topExamples(*w, nullptr, demoImages(), "features.conv1", {16}, 4, job);
    ASSERT_FALSE(badUnit);
    EXPECT_NE(badUnit.error().message.find("unit 16 is outside"), std::string::npos) << badUnit.error().message;
    auto badK = topExamples(*w, nullptr, demoImages(), "features.conv1", {0}, 0, job);
    ASSERT_FALSE(badK);
    EXPECT_NE(badK.error().message.find("at least 1"), std::string::npos);
    JobContext cancelled;
    cancelled.token()->cancel();
    EXPECT_FALSE(topExamples(*w, nullptr, demoImages(), "features.conv1", {0}, 4, cancelled));
}
