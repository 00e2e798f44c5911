// Data previews for the GUI: thumbnails of an image set, and per-unit mean activations of a
// layer checked against the target activations the scoring code uses, unit by unit.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/data/arithmetic.h"
#include "engine/data/data_preview.h"
#include "engine/data/internal/arithmetic_data.h"
#include "engine/data/internal/image_set.h"
#include "engine/data/shapes_dataset.h"
#include "engine/demo/demo_run.h"
#include "engine/io/internal/tensor_io.h"
#include "engine/io/safetensors.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/preservation.h"
#include "test_util.h"

using namespace cx::engine;

TEST(DataPreview, ThumbnailsAreStretchedRgbWithClassNames) {
    const std::string images = cx::test::tempDir() + "/shapes.safetensors";
    ASSERT_TRUE(writeShapesImages(images, 5, 2).ok());
    auto preview = previewImages(images, 3);
    ASSERT_TRUE(preview.ok()) << preview.error().message;
    EXPECT_EQ(preview.value().info.count, 5);
    ASSERT_EQ(preview.value().thumbnails.size(), 3u);
    auto set = loadImages(images, {}).take();
    for (size_t i = 0; i < 3; ++i) {
        const auto& t = preview.value().thumbnails[i];
        EXPECT_EQ(t.width, 64);
        EXPECT_EQ(t.height, 64);
        ASSERT_EQ(t.rgb.size(), 64u * 64u * 3u);
        EXPECT_EQ(*std::min_element(t.rgb.begin(), t.rgb.end()), 0);
        EXPECT_EQ(*std::max_element(t.rgb.begin(), t.rgb.end()), 255);
        EXPECT_EQ(t.label, shapeClassNames()[size_t(set.labels[int64_t(i)].item<int64_t>())]);
        // Pixel (row 10, column 20), green channel, stretched from the image's own range.
        const auto img = set.images[int64_t(i)];
        const double lo = img.min().item<double>(), hi = img.max().item<double>();
        const double expected = std::round((img[1][10][20].item<double>() - lo) / (hi - lo) * 255.0);
        EXPECT_NEAR(double(t.rgb[(10 * 64 + 20) * 3 + 1]), expected, 1.0);
    }
    EXPECT_FALSE(previewImages(cx::test::tempDir() + "/missing.safetensors", 3).ok());
}

TEST(DataPreview, UnitMeansEqualTheTargetActivationsOfEachUnit) {
    const std::string modelPath = cx::test::modelPath("chain");
    auto model = Model::load(modelPath).take();
    torch::manual_seed(3);
    ImageSet set;
    set.images = torch::randn({70, 3, 16, 16});  // more than one batch of 64
    const std::string images = cx::test::tempDir() + "/random.safetensors";
    ASSERT_TRUE(saveImages(images, set).ok());
    for (const std::string layer : {"features.3", "classifier.1"}) {
        JobContext job;
        auto means = unitMeanActivations(modelPath, images, layer, job);
        ASSERT_TRUE(means.ok()) << means.error().message;
        const int index = model->summary().indexOf(layer);
        const auto units = model->summary().layers[size_t(index)].weightShape[0];
        ASSERT_EQ(means.value().mean.size(), size_t(units));
        EXPECT_EQ(means.value().images, 70);
        for (int64_t u = 0; u < units; ++u) {
            auto target = parseTarget(layer + ":" + std::to_string(u)).take();
            const auto f = targetActivations(*model, set.images, target, nullptr, 16, job);
            EXPECT_NEAR(means.value().mean[size_t(u)], torch::relu(f).mean().item<double>(), 1e-5) << layer << ":" << u;
        }
    }
    JobContext job;
    auto missing = unitMeanActivations(modelPath, images, "features.9", job);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("no layer 'features.9'"), std::string::npos);
}

// Token inputs preview as text: a file's ids spaced, the demo's prompts in their own symbols.
TEST(DataPreview, TokenInputsPreviewAsText) {
    const std::string path = cx::test::tempDir() + "/tokens.safetensors";
    SafetensorsFile file;
    file.tensors["inputs"] = tensorToBlob(torch::tensor({3, 1, 4, 1, 5, 9}, torch::kInt64).view({2, 3}));
    ASSERT_TRUE(writeSafetensors(path, file).ok());
    auto preview = previewImages(path, 5);
    ASSERT_TRUE(preview.ok()) << preview.error().message;
    EXPECT_TRUE(preview.value().thumbnails.empty());
    EXPECT_EQ(preview.value().info.count, 2);
    EXPECT_EQ(preview.value().info.width, 3);
    EXPECT_EQ(preview.value().sequences, (std::vector<std::string>{"3 1 4", "1 5 9"}));
    auto prompts = previewImages("multiplication", 2);
    ASSERT_TRUE(prompts.ok()) << prompts.error().message;
    const auto task = arithmeticTask(ArithmeticOp::Multiplication, ArithmeticSplit::HeldOut).inputs;
    EXPECT_EQ(prompts.value().info.count, task.size(0));
    ASSERT_EQ(prompts.value().sequences.size(), 2u);
    std::string first;
    for (int64_t t = 0; t < task.size(1); ++t) first += arithmeticTokenText(task[0][t].item<int64_t>());
    EXPECT_EQ(prompts.value().sequences[0], first);
    EXPECT_NE(first.find('*'), std::string::npos);
}
