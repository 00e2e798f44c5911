// Kernel relevance and dead-end removal against hand counts on the test models.
#include <gtest/gtest.h>

#include "engine/model/internal/kernel_graph.h"
#include "engine/model/model.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

std::shared_ptr<Model> load(const std::string& name) { return Model::load(cx::test::modelPath(name)).value(); }

int64_t count(const KernelGrid& grid) {
    int64_t n = 0;
    for (const auto& layer : grid)
        for (auto v : layer) n += v;
    return n;
}

int64_t countIn(const KernelGrid& grid, int layer) {
    int64_t n = 0;
    for (auto v : grid[size_t(layer)]) n += v;
    return n;
}

}  // namespace

TEST(KernelGraph, RelevanceHandCounts) {
    {   // chain, features.5:2: its row (6), all of features.3 (6x4), all of features.0 (4x3).
        auto m = load("chain");
        KernelGraph g(m->summary());
        auto r = g.relevant(m->summary().indexOf("features.5"), {2});
        EXPECT_EQ(count(r), 6 + 24 + 12);
        EXPECT_TRUE(r[3].empty() && r[4].empty());  // classifier layers come after the target
    }
    {   // concat, merge:1: its row (7), a (2x3), b (5x3); the dead branch contributes 0.
        auto m = load("concat");
        const auto& s = m->summary();
        auto r = KernelGraph(s).relevant(s.indexOf("merge"), {1});
        EXPECT_EQ(count(r), 7 + 6 + 15);
        EXPECT_TRUE(r[size_t(s.indexOf("dead"))].empty());
    }
    {   // residual, branch2:0 (groups 2): 3 kernels of group 0, branch1 rows 0-2 (3x4), stem (4x3).
        auto m = load("residual");
        const auto& s = m->summary();
        auto r = KernelGraph(s).relevant(s.indexOf("branch2"), {0});
        EXPECT_EQ(countIn(r, s.indexOf("branch2")), 3);
        EXPECT_EQ(countIn(r, s.indexOf("branch1")), 12);
        EXPECT_EQ(countIn(r, s.indexOf("stem")), 12);
        EXPECT_TRUE(r[size_t(s.indexOf("shortcut"))].empty());
        // head:0 reads both branches through the residual sum: 6 + 18 + 24 + 24 + 12.
        EXPECT_EQ(count(KernelGraph(s).relevant(s.indexOf("head"), {0})), 84);
    }
    {   // chain, classifier.1:0 after flatten: 80 weights, each read channel of features.5 needed.
        auto m = load("chain");
        auto r = KernelGraph(m->summary()).relevant(3, {0});
        EXPECT_EQ(countIn(r, 3), 80);
        EXPECT_EQ(countIn(r, 2), 5 * 6);
    }
}

TEST(KernelGraph, DeadEndRemovalOnHandBuiltMasks) {
    auto m = load("chain");
    KernelGraph g(m->summary());
    const int target = 2;  // features.5, row 2
    KernelGrid kept(5);
    kept[0].assign(4 * 3, 0);
    kept[1].assign(6 * 4, 0);
    kept[2].assign(5 * 6, 0);
    kept[2][2 * 6 + 1] = 1;  // features.5 (2, 1) reads features.3 unit 1
    kept[1][1 * 4 + 0] = 1;  // features.3 (1, 0) reads features.0 unit 0
    auto none = g.effective(kept, target, {2});
    EXPECT_TRUE(none.disconnected);  // features.0 unit 0 has no kept kernel: no path from the input
    EXPECT_EQ(count(none.kernels), 0);
    kept[0][0 * 3 + 2] = 1;  // features.0 (0, 2): the path is complete
    kept[1][3 * 4 + 2] = 1;  // dead end: features.3 unit 3 is read by no kept kernel
    kept[0][1 * 3 + 0] = 1;  // dead end: features.0 unit 1 is read by no kept kernel
    auto eff = g.effective(kept, target, {2});
    EXPECT_FALSE(eff.disconnected);
    EXPECT_EQ(count(eff.kernels), 3);
    EXPECT_EQ(eff.kernels[2][2 * 6 + 1], 1);
    EXPECT_EQ(eff.kernels[1][1 * 4 + 0], 1);
    EXPECT_EQ(eff.kernels[0][0 * 3 + 2], 1);
}
