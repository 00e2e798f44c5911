#include <gtest/gtest.h>

#include "engine/data/internal/shapes_render.h"

using namespace cx::engine;

TEST(Shapes, DeterministicFromTheSeed) {
    auto a = generateShapes({12, 5, 64});
    auto b = generateShapes({12, 5, 64});
    auto c = generateShapes({12, 6, 64});
    EXPECT_TRUE(torch::equal(a.images, b.images));
    EXPECT_FALSE(torch::equal(a.images, c.images));
}

TEST(Shapes, BalancedLabelsAndValidPixels) {
    auto set = generateShapes({60, 1, 64});
    EXPECT_EQ(set.images.sizes(), (std::vector<int64_t>{60, 3, 64, 64}));
    EXPECT_EQ(set.info.classNames.size(), 6u);
    auto counts = torch::bincount(set.labels);
    EXPECT_TRUE(torch::all(counts == 10).item<bool>());
    EXPECT_GE(set.images.min().item<float>(), 0.0f);
    EXPECT_LE(set.images.max().item<float>(), 1.0f);
}

TEST(Shapes, EveryImageHasABrightStrokeOverADarkerBackground) {
    auto set = generateShapes({30, 2, 64});
    // The stroke colour has one channel >= 0.8; the background stays below 0.3 + noise.
    auto brightest = std::get<0>(set.images.amax({2, 3}).max(1));
    auto median = std::get<0>(set.images.flatten(1).median(1));
    EXPECT_TRUE(torch::all(brightest > 0.75).item<bool>());
    EXPECT_TRUE(torch::all(median < 0.45).item<bool>());
}
