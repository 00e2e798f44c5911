// Polysemantic units on a hand-set model (tests/data/make_two_colours_model.py): conv2:0 answers
// red and blue images alike through two separate paths. Its top patches fall into exactly the
// red and the blue clusters; each cluster's subcircuit keeps its own path only (own delta-f-norm
// 0, the other cluster's 1, IoU 0 in every layer), while the control halves share one circuit.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "engine/data/internal/image_set.h"
#include "engine/pruning/pruning.h"
#include "engine/vis/polysemantic.h"
#include "test_util.h"

using namespace cx::engine;
namespace fs = std::filesystem;

namespace {

const std::string kModel = cx::test::modelPath("two_colours");

// 20 red images (0..19), 20 blue (20..39) and 10 dim grey ones (40..49), 8 x 8, random brightness.
std::string writeColourImages(const fs::path& dir) {
    std::mt19937 rng(4);
    std::uniform_real_distribution<float> bright(0.6f, 1.0f);
    ImageSet set;
    set.images = torch::zeros({50, 3, 8, 8});
    for (int i = 0; i < 50; ++i) {
        if (i < 20) set.images[i][0].fill_(bright(rng));
        else if (i < 40) set.images[i][2].fill_(bright(rng));
        else set.images[i].fill_(0.05f);
    }
    set.labels = torch::full({50}, -1, torch::kInt64);
    const std::string path = (dir / "colours.safetensors").string();
    EXPECT_TRUE(saveImages(path, set));
    return path;
}

PolysemanticSpec spec(const std::string& images) {
    PolysemanticSpec s;
    s.images = images;
    s.layer = "conv2";
    s.unit = 0;
    s.top = 40;
    s.clustering.minClusterSize = 15;  // no cluster of 20 can split in two
    s.sparsities = {0.5, 0.25, 0.125};
    return s;
}

std::vector<int64_t> imagesOf(const PolysemanticResult& r, const PatchGroup& g) {
    std::vector<int64_t> out;
    for (int64_t m : g.members) out.push_back(r.examples.top[size_t(m)].image);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<int64_t> range(int64_t from, int64_t to) {
    std::vector<int64_t> out;
    for (int64_t i = from; i < to; ++i) out.push_back(i);
    return out;
}

}  // namespace

TEST(Polysemantic, TopPatchesClusterIntoTheTwoColours) {
    const fs::path dir = cx::test::tempDir();
    auto w = Workspace::open(kModel);
    ASSERT_TRUE(w) << w.error().message;
    JobContext job;
    auto r = clusterTopPatches(*w.value(), spec(writeColourImages(dir)), job);
    ASSERT_TRUE(r) << r.error().message;
    const auto& res = r.value();
    ASSERT_EQ(res.examples.top.size(), 40u);  // the grey images are below every coloured one
    for (const auto& e : res.examples.top) EXPECT_LT(e.image, 40);
    ASSERT_EQ(res.clusterCount, 2u);
    ASSERT_EQ(res.groups.size(), 2u);
    const auto a = imagesOf(res, res.groups[0]), b = imagesOf(res, res.groups[1]);
    EXPECT_TRUE((a == range(0, 20) && b == range(20, 40)) || (a == range(20, 40) && b == range(0, 20)));
    for (int64_t l : res.labels) EXPECT_GE(l, 0);
    // The 3 x 3 field of conv2 (no padding) at its first top position.
    const auto& first = res.examples.top.front();
    EXPECT_EQ(first.box[2] - first.box[0], 2);
    EXPECT_EQ(first.box[3] - first.box[1], 2);
}

TEST(Polysemantic, EachClustersSubcircuitKeepsItsOwnPathOnly) {
    const fs::path dir = cx::test::tempDir();
    auto w = Workspace::open(kModel);
    ASSERT_TRUE(w) << w.error().message;
    JobContext job;
    auto s = spec(writeColourImages(dir));
    s.control = true;
    auto r = clusterTopPatches(*w.value(), s, job);
    ASSERT_TRUE(r) << r.error().message;
    auto& res = r.value();
    ASSERT_EQ(res.groups.size(), 4u);  // two clusters, two control halves of their 40 patches
    EXPECT_EQ(res.groups[2].members.size() + res.groups[3].members.size(), 40u);
    ASSERT_TRUE(pruneSubcircuits(*w.value(), s, res, (dir / "work").string(), job));
    EXPECT_EQ(res.sparsities, (std::vector<double>{0.5, 0.25, 0.125}));
    for (size_t g = 0; g < 2; ++g) {
        const auto& group = res.groups[g];
        // Relevant kernels: conv1's 6 and conv2:0's 2; a quarter is the cluster's own 2-kernel path.
        EXPECT_EQ(group.kept, (std::vector<int64_t>{4, 2, 1}));
        EXPECT_NEAR(group.dfnorm[g][1], 0.0, 1e-6) << group.name;          // exact on its own cluster
        EXPECT_NEAR(group.dfnorm[1 - g][1], 1.0, 1e-6) << group.name;      // nothing on the other
        EXPECT_NEAR(group.dfnorm[g][2], 1.0, 1e-6) << group.name;          // one kernel breaks the path
        EXPECT_EQ(group.chosen, 1u);
        EXPECT_TRUE(group.chosenBelowThreshold);
        ASSERT_TRUE(group.mask);
        EXPECT_TRUE(fs::exists(group.imagesFile));
    }
    // Cluster against cluster: no shared kernel in either layer; the control halves share all.
    ASSERT_EQ(res.overlaps.size(), 2u);
    for (const auto& o : res.overlaps) {
        ASSERT_EQ(o.layers.size(), 2u);
        const bool control = o.a >= res.clusterCount;
        for (const auto& l : o.layers) {
            EXPECT_EQ(l.either, 2) << l.layer;  // one kernel per layer in each, the same or another
            EXPECT_DOUBLE_EQ(l.iou, control ? 1.0 : 0.0) << l.layer;
        }
    }
    for (size_t g = 2; g < 4; ++g) {
        EXPECT_EQ(res.groups[g].chosen, 0u);  // half of each colour: both paths, until a level cuts one
        EXPECT_NEAR(res.groups[g].dfnorm[5 - g][0], 0.0, 1e-6);
    }
}

TEST(Polysemantic, FilesCarryTheClustersMasksAndCurves) {
    const fs::path dir = cx::test::tempDir();
    auto w = Workspace::open(kModel);
    ASSERT_TRUE(w) << w.error().message;
    JobContext job;
    auto s = spec(writeColourImages(dir));
    auto r = clusterTopPatches(*w.value(), s, job);
    ASSERT_TRUE(r) << r.error().message;
    const fs::path out = dir / "out";
    ASSERT_TRUE(pruneSubcircuits(*w.value(), s, r.value(), out.string(), job));
    auto files = writePolysemantic(*w.value(), s, r.value(), out.string());
    ASSERT_TRUE(files) << files.error().message;
    for (const char* name : {"clusters.json", "patches_cluster_0.png", "patches_cluster_1.png", "mask_cluster_0.safetensors",
                             "mask_cluster_1.safetensors", "curves.csv", "curves.svg", "iou.csv", "iou.svg"})
        EXPECT_TRUE(fs::exists(out / name)) << name;
    EXPECT_FALSE(fs::exists(out / "noise.png"));  // every patch is in a cluster
    // The written mask is the chosen one: the cluster's own 2 kernels.
    auto mask = readMask(*w.value(), (out / "mask_cluster_0.safetensors").string());
    ASSERT_TRUE(mask) << mask.error().message;
    std::ifstream csv(out / "curves.csv");
    std::string header, line;
    std::getline(csv, header);
    EXPECT_EQ(header, "circuit,evaluated_on,sparsity,kept,dfnorm");
    int rows = 0;
    while (std::getline(csv, line)) ++rows;
    EXPECT_EQ(rows, 2 * 2 * 3);  // circuits x evaluated groups x levels
    const std::string json = polysemanticJson(s, r.value());
    EXPECT_NE(json.find("\"format\": \"cx-polysemantic/1\""), std::string::npos);
    EXPECT_NE(json.find("\"mask_sparsity\": 0.25"), std::string::npos);
}

TEST(Polysemantic, RefusesWhatItCannotDo) {
    const fs::path dir = cx::test::tempDir();
    auto w = Workspace::open(kModel);
    ASSERT_TRUE(w) << w.error().message;
    JobContext job;
    auto s = spec(writeColourImages(dir));
    s.unit = 7;
    auto bad = clusterTopPatches(*w.value(), s, job);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("outside"), std::string::npos);
    s = spec(s.images);
    auto r = clusterTopPatches(*w.value(), s, job);
    ASSERT_TRUE(r);
    s.criterion = Criterion::Force;
    auto force = pruneSubcircuits(*w.value(), s, r.value(), dir.string(), job);
    ASSERT_FALSE(force);
    EXPECT_NE(force.error().message.find("FORCE"), std::string::npos);
    PolysemanticResult none;
    s.criterion = Criterion::ActGrad;
    auto empty = pruneSubcircuits(*w.value(), s, none, dir.string(), job);
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().message.find("no clusters"), std::string::npos);
}
