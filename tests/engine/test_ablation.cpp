// Ablations, the magnitude baseline and mask overlap on hand-made masks.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/masks/internal/ablation.h"
#include "engine/masks/internal/overlap.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

std::map<int, torch::Tensor> someKernels(const Model& m) {
    // features.3 (6 x 4 kernels): keep rows 0 and 2 entirely, plus kernel (5, 1).
    auto mask = torch::zeros({6, 4}, torch::kBool);
    mask[0].fill_(true);
    mask[2].fill_(true);
    mask[5][1] = true;
    return {{1, mask}};
}

}  // namespace

TEST(Ablation, ZeroAblateRemovesExactlyTheSubnetwork) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    auto masks = someKernels(*m);
    auto gen = at::detail::createCPUGenerator(1);
    const auto& w = m->impl().param("features.3.weight");
    auto none = ablatedWeights(*m, masks, Ablation::None, gen).tensors[0];
    auto zero = ablatedWeights(*m, masks, Ablation::ZeroAblate, gen).tensors[0];
    auto kept = masks.at(1).unsqueeze(-1).unsqueeze(-1).expand_as(w);
    EXPECT_TRUE(torch::equal(none, w * kept));
    EXPECT_TRUE(torch::equal(zero, w * ~kept));
    EXPECT_TRUE(torch::equal(none + zero, w));
}

TEST(Ablation, RandomlySampledDrawsTheSameCountFromTheComplementOnly) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    auto masks = someKernels(*m);
    auto gen = at::detail::createCPUGenerator(2);
    std::set<std::vector<bool>> seen;
    for (int r = 0; r < 20; ++r) {
        auto drawn = sampleFromComplement(masks, gen).at(1);
        EXPECT_EQ(drawn.sum().item<int64_t>(), masks.at(1).sum().item<int64_t>());
        EXPECT_FALSE((drawn & masks.at(1)).any().item<bool>());
        auto flat = drawn.flatten();
        std::vector<bool> key;
        for (int64_t i = 0; i < flat.numel(); ++i) key.push_back(flat[i].item<bool>());
        seen.insert(key);
    }
    EXPECT_GT(seen.size(), 10u);  // different draws
}

TEST(Ablation, RandomAblateReplacesOnlyTheSubnetworkWithinTheInitBound) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    auto masks = someKernels(*m);
    auto gen = at::detail::createCPUGenerator(3);
    const auto& w = m->impl().param("features.3.weight");
    auto replaced = ablatedWeights(*m, masks, Ablation::RandomAblate, gen).tensors[0];
    auto kept = masks.at(1).unsqueeze(-1).unsqueeze(-1).expand_as(w);
    EXPECT_TRUE(torch::equal(replaced.masked_select(~kept), w.masked_select(~kept)));
    auto fresh = replaced.masked_select(kept);
    EXPECT_FALSE(torch::equal(fresh, w.masked_select(kept)));
    EXPECT_LE(fresh.abs().max().item<double>(), 1.0 / std::sqrt(4.0 * 9.0) + 1e-7);
}

TEST(Ablation, MagnitudeUsesAbsoluteValues) {
    auto m = Model::load(cx::test::modelPath("tiny_mlp")).take();
    const int fc = m->summary().indexOf("c_fc_weight"), proj = m->summary().indexOf("proj");
    auto perTensor = magnitudeMasks(*m, {fc, proj}, 0.25, Granularity::Weight, false);
    const auto wfc = m->impl().param("c_fc_weight").t();  // output-major
    EXPECT_EQ(perTensor.at(fc).sum().item<int64_t>(), 12);  // a quarter of 48
    auto threshold = wfc.abs().masked_select(perTensor.at(fc)).min();
    EXPECT_TRUE((wfc.abs().masked_select(~perTensor.at(fc)) <= threshold).all().item<bool>());
    auto global = magnitudeMasks(*m, {fc, proj}, 0.25, Granularity::Weight, true);
    EXPECT_EQ(global.at(fc).sum().item<int64_t>() + global.at(proj).sum().item<int64_t>(), 20);  // a quarter of 80
}

TEST(Ablation, OverlapCountsOnHandMasks) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    auto a = torch::tensor({1, 1, 0, 0, 1, 0}, torch::kBool), b = torch::tensor({1, 0, 1, 0, 1, 0}, torch::kBool);
    auto rows = maskOverlapBy(*m, {{1, a}}, {{1, b}}, Granularity::Filter, OverlapBy::Layer);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].name, "features.3");
    EXPECT_EQ(rows[0].both, 2);
    EXPECT_EQ(rows[0].onlyA, 1);
    EXPECT_EQ(rows[0].onlyB, 1);
    EXPECT_EQ(rows[0].neither, 2);
    EXPECT_DOUBLE_EQ(rows[0].iou(), 0.5);
    // A layer only one mask has is absent in the other, not kept: its IoU is undefined.
    auto c = torch::tensor({1, 0, 1, 0}, torch::kBool);
    auto partial = maskOverlapBy(*m, {{1, a}, {0, c}}, {{1, b}}, Granularity::Filter, OverlapBy::Layer);
    ASSERT_EQ(partial.size(), 2u);
    EXPECT_EQ(partial[0].name, "features.0");
    EXPECT_EQ(partial[0].absentIn, "B");
    EXPECT_EQ(partial[0].onlyA, 2);
    EXPECT_EQ(partial[0].onlyB, 0);
    EXPECT_EQ(partial[0].neither, 2);
    EXPECT_TRUE(std::isnan(partial[0].iou()));
    EXPECT_TRUE(partial[1].absentIn.empty());
    // Both masks empty: the union is empty and the IoU undefined, not 1.
    auto none = torch::zeros({6}, torch::kBool);
    EXPECT_TRUE(std::isnan(maskOverlapBy(*m, {{1, none}}, {{1, none}}, Granularity::Filter, OverlapBy::Layer)[0].iou()));
}

TEST(Ablation, RandomlySampledRefusesASubnetworkLargerThanItsComplement) {
    auto m = Model::load(cx::test::modelPath("chain")).take();
    std::map<int, torch::Tensor> masks;
    masks[1] = torch::zeros({6, 4}, torch::kBool);
    masks[1].narrow(0, 0, 3).fill_(true);  // 12 of 24: exactly half, a same-size set exists
    EXPECT_EQ(complementTooSmall(*m, masks), "");
    auto gen = at::detail::createCPUGenerator(3);
    EXPECT_EQ(sampleFromComplement(masks, gen).at(1).sum().item<int64_t>(), 12);
    masks[1][3][0] = true;  // 13 of 24: only 11 left out
    const std::string why = complementTooSmall(*m, masks);
    EXPECT_NE(why.find("features.3"), std::string::npos) << why;
    EXPECT_NE(why.find("keeps 13 of its 24 units"), std::string::npos) << why;
    EXPECT_THROW(sampleFromComplement(masks, gen), c10::Error);
}
