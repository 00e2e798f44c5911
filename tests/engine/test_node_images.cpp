// Node images of circuit diagrams: first-layer kernels against the model's weights, deeper
// units' crops against an independent search for their top activation, input colour swatches,
// and no images for a model whose input is not an image.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/data/data_preview.h"
#include "engine/data/internal/image_set.h"
#include "engine/demo/demo_run.h"
#include "engine/diagram/diagram.h"
#include "engine/diagram/diagram_layout.h"
#include "engine/diagram/node_images.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/circuit_job.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

const std::string kDemo = std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt";

// A circuit of the demo CNN with its kernels, crops and swatches.
struct DemoCircuit {
    std::string images;
    CircuitDiagram diagram;
};

DemoCircuit demoCircuit() {
    const std::string dir = cx::test::tempDir();
    DemoCircuit out;
    out.images = dir + "/images.safetensors";
    EXPECT_TRUE(writeShapesImages(out.images, 40, 9).ok());
    FindCircuitRequest req;
    req.model = kDemo;
    req.images = out.images;
    req.target = "features.conv3:5";
    req.sparsity = 0.1;
    req.workDir = dir + "/found";
    JobContext job;
    auto found = findCircuit(req, job);
    EXPECT_TRUE(found.ok()) << found.error().message;
    if (found.ok()) out.diagram = found.value().diagram;
    return out;
}

}  // namespace

TEST(NodeImages, KernelsCropsAndSwatchesMatchTheModel) {
    const auto circuit = demoCircuit();
    const auto& d = circuit.diagram;
    ASSERT_FALSE(d.nodes.empty());
    auto model = Model::load(kDemo).take();
    const auto& summary = model->summary();
    const auto images = loadImages(circuit.images, {}).take().images;
    int kernels = 0, crops = 0, swatches = 0;
    for (const auto& n : d.nodes) {
        ASSERT_FALSE(n.image.empty()) << n.id;
        ASSERT_EQ(n.image.rgb.size(), size_t(n.image.width * n.image.height * 3));
        if (n.layer < 0) {  // an input channel: its pure colour
            EXPECT_EQ(n.image.kind, "channel");
            for (int c = 0; c < 3; ++c) EXPECT_EQ(n.image.rgb[size_t(c)], c == n.unit ? 255 : 0) << n.id;
            ++swatches;
        } else if (n.layer == 0) {  // conv1 (16 x 3 x 5 x 5): the filter's weights around grey
            EXPECT_EQ(n.image.kind, "kernel");
            ASSERT_EQ(n.image.width, 5);
            ASSERT_EQ(n.image.height, 5);
            const auto w = model->impl().param(summary.layers[0].param)[n.unit].to(torch::kFloat64);
            const double scale = w.abs().max().item<double>();
            for (int c = 0; c < 3; ++c)
                for (int y = 0; y < 5; ++y)
                    for (int x = 0; x < 5; ++x) {
                        const double expected = std::round(255.0 * (0.5 + 0.5 * w[c][y][x].item<double>() / scale));
                        EXPECT_NEAR(n.image.rgb[size_t((y * 5 + x) * 3 + c)], expected, 1.0);
                    }
            ++kernels;
        } else {  // conv2 / conv3: the top activation over the images, found independently
            EXPECT_EQ(n.image.kind, "crop");
            auto plan = ForwardPlan::build(*model, {{n.layer, ProbeSide::Output}}, false).take();
            torch::NoGradGuard noGrad;
            const auto y = plan.run({images}).probes[0].select(1, n.unit);  // N x H x W
            const auto perImage = std::get<0>(y.reshape({y.size(0), -1}).max(1));
            EXPECT_NEAR(n.image.activation, perImage.max().item<double>(), 1e-4) << n.id;
            EXPECT_NEAR(perImage[n.image.imageIndex].item<double>(), n.image.activation, 1e-4) << n.id;
            // The crop is the part of the image that reaches the unit: more than conv1's 5 x 5
            // (conv2 sees through two convolutions), less than the whole 32 x 32 image here.
            EXPECT_GT(n.image.width * n.image.height, 25) << n.id;
            EXPECT_LE(n.image.width, int(images.size(3)));
            EXPECT_LE(n.image.height, int(images.size(2)));
            ++crops;
        }
    }
    EXPECT_GT(kernels, 0);
    EXPECT_GT(crops, 0);
    EXPECT_GT(swatches, 0);
}

TEST(NodeImages, ATransformerGetsNoneAndLayoutMakesRoomForPictures) {
    // The demo transformer reads tokens, not images: every vertex keeps the plain glyph.
    CircuitDiagram transformer;
    transformer.nodes.push_back({});
    transformer.nodes[0].layer = 0;
    JobContext job;
    const std::string gpt = std::string(CX_TEST_DATA) + "/../../resources/demo/arithmetic_gpt.pt";
    ASSERT_TRUE(addNodeImages(transformer, gpt, "", job).ok());
    EXPECT_TRUE(transformer.nodes[0].image.empty());

    // Vertices with pictures are laid out as 0.5 inch boxes, the others as small circles.
    CircuitDiagram d;
    d.layers = {"input", "a"};
    d.nodes.resize(2);
    d.nodes[0].rank = "input";
    d.nodes[0].id = "input:0";
    d.nodes[1].rank = "a";
    d.nodes[1].id = "a:0";
    d.nodes[1].layer = 0;
    d.nodes[1].image.width = d.nodes[1].image.height = 2;
    d.nodes[1].image.rgb.assign(12, 128);
    d.edges.push_back({0, 1, 1.0, 0.0, 1, false, {}});
    ASSERT_TRUE(layoutDiagram(d, {}, job).ok());
    EXPECT_NEAR(d.nodes[1].width, 36.0, 0.5);
    EXPECT_NEAR(d.nodes[0].width, 23.0, 0.5);
}

// The Units list's pictures: a whole layer's units, as a diagram would draw them.
TEST(NodeImages, EveryUnitOfALayerGetsItsPicture) {
    const std::string images = cx::test::tempDir() + "/images.safetensors";
    ASSERT_TRUE(writeShapesImages(images, 24, 2).ok());
    JobContext job;
    auto first = layerUnitPictures(kDemo, images, "features.conv1", job);
    ASSERT_TRUE(first.ok()) << first.error().message;
    ASSERT_EQ(first.value().size(), 16u);
    for (const auto& p : first.value()) EXPECT_EQ(p.kind, "kernel");
    auto deep = layerUnitPictures(kDemo, images, "features.conv3", job);
    ASSERT_TRUE(deep.ok()) << deep.error().message;
    ASSERT_EQ(deep.value().size(), 48u);
    for (const auto& p : deep.value()) {
        EXPECT_EQ(p.kind, "crop");
        EXPECT_GE(p.imageIndex, 0);
        EXPECT_LT(p.imageIndex, 24);
    }
    // The same file written again with other images: the cached search is not reused.
    ASSERT_TRUE(writeShapesImages(images, 24, 3).ok());
    auto again = layerUnitPictures(kDemo, images, "features.conv3", job);
    ASSERT_TRUE(again.ok()) << again.error().message;
    {
        auto model = Model::load(kDemo).take();
        auto plan = ForwardPlan::build(*model, {{2, ProbeSide::Output}}, false).take();
        torch::NoGradGuard noGrad;
        const auto y = plan.run({loadImages(images, {}).take().images}).probes[0];
        for (int64_t u : {0, 5, 47})
            EXPECT_NEAR(again.value()[size_t(u)].activation, y.select(1, u).max().item<double>(), 1e-4) << u;
    }
    auto fc = layerUnitPictures(kDemo, images, "classifier.fc1", job);  // neurons: their whole top image
    ASSERT_TRUE(fc.ok()) << fc.error().message;
    ASSERT_EQ(fc.value().size(), 128u);
    EXPECT_EQ(fc.value()[0].kind, "image");
    EXPECT_EQ(fc.value()[0].width, 64);
    auto missing = layerUnitPictures(kDemo, images, "features.9", job);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("no layer 'features.9'"), std::string::npos);
}
