// Levels of detail of circuit diagrams: blocks from torchvision's module paths, group vertices
// that join their units' kernels exactly, top edges per unit, focus cones, the overview fallback,
// the layered layout of large views, and the same on a real model's pruned circuit.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/diagram/diagram.h"
#include "engine/diagram/diagram_detail.h"
#include "engine/diagram/diagram_layout.h"
#include "engine/diagram/layer_blocks.h"
#include "engine/diagram/layered_layout.h"
#include "engine/io/internal/tensor_io.h"
#include "engine/io/safetensors.h"
#include "engine/model/workspace.h"
#include "engine/pruning/pruning.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

// The blocks of each name, as a map for readable failures.
std::map<std::string, std::string> blocksOf(const std::vector<std::string>& layers) {
    const auto blocks = layerBlocks(layers);
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < layers.size(); ++i) out[layers[i]] = blocks[i];
    return out;
}

// A whole circuit by hand: input (3 channels) -> 4 layers of `width` units in two blocks
// ("stage.0.a", "stage.0.b" | "stage.1.a", "stage.1.b") -> "head" (1 unit, the target), random
// edges between consecutive layers and skips from stage.0.b to stage.1.b.
CircuitDiagram handCircuit(int width, uint32_t seed) {
    CircuitDiagram d;
    d.layerNames = {"stage.0.a", "stage.0.b", "stage.1.a", "stage.1.b", "head"};
    d.layerBlocks = layerBlocks(d.layerNames);
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> value(0.0, 1.0);
    std::vector<std::vector<size_t>> nodesOf(6);
    const auto add = [&](int layer, int64_t unit) {
        DiagramNode n;
        n.layer = layer;
        n.unit = unit;
        n.rank = layer < 0 ? "input" : d.layerNames[size_t(layer)];
        n.id = n.rank + ":" + std::to_string(unit);
        n.score = value(gen);
        n.target = layer == 4;
        nodesOf[size_t(layer + 1)].push_back(d.nodes.size());
        d.nodes.push_back(n);
    };
    for (int c = 0; c < 3; ++c) add(-1, c);
    for (int l = 0; l < 4; ++l)
        for (int u = 0; u < width; ++u) add(l, u);
    add(4, 0);
    const auto link = [&](size_t from, size_t to) {
        const double mass = 0.5 + value(gen);
        d.edges.push_back(DiagramEdge{from, to, value(gen), 2 * value(gen) - 1, 1 + int64_t(gen() % 3), mass, false, {}});
    };
    for (size_t l = 0; l + 1 < nodesOf.size(); ++l)
        for (size_t to : nodesOf[l + 1])
            for (size_t from : nodesOf[l])
                if (value(gen) < 0.5 || l == 4) link(from, to);
    for (size_t to : nodesOf[4])  // stage.0.b -> stage.1.b skips
        for (size_t from : nodesOf[2])
            if (value(gen) < 0.2) link(from, to);
    return d;
}

int64_t totalKernels(const CircuitDiagram& d) {
    int64_t total = 0;
    for (const auto& e : d.edges) total += e.kernels;
    for (const auto& n : d.nodes) total += n.innerKernels;
    return total;
}

const DiagramNode* findNode(const CircuitDiagram& d, const std::string& id) {
    for (const auto& n : d.nodes)
        if (n.id == id) return &n;
    return nullptr;
}

}  // namespace

TEST(DiagramDetail, BlocksOfTorchvisionModulePaths) {
    // Module paths as torchvision names them (read off the real models).
    const auto resnet = blocksOf({"conv1", "layer1.0.conv1", "layer1.0.conv2", "layer1.0.downsample.0", "layer1.1.conv1",
                                  "layer1.1.conv2", "layer2.0.conv1", "layer2.0.conv2", "fc"});
    EXPECT_EQ(resnet.at("conv1"), "conv1");
    EXPECT_EQ(resnet.at("layer1.0.downsample.0"), "layer1.0");
    EXPECT_EQ(resnet.at("layer1.1.conv2"), "layer1.1");
    EXPECT_EQ(resnet.at("layer2.0.conv1"), "layer2.0");
    EXPECT_EQ(resnet.at("fc"), "fc");
    const auto inception = blocksOf({"Conv2d_1a_3x3.conv", "Conv2d_2a_3x3.conv", "Mixed_5b.branch1x1.conv",
                                     "Mixed_5b.branch5x5_1.conv", "Mixed_5b.branch5x5_2.conv", "Mixed_6a.branch3x3.conv",
                                     "Mixed_6a.branch3x3dbl_1.conv", "Mixed_6e.branch1x1.conv", "Mixed_6e.branch7x7_1.conv", "fc"});
    EXPECT_EQ(inception.at("Conv2d_1a_3x3.conv"), "Conv2d_1a_3x3.conv");  // one layer: a block of its own
    EXPECT_EQ(inception.at("Mixed_5b.branch5x5_2.conv"), "Mixed_5b");
    EXPECT_EQ(inception.at("Mixed_6a.branch3x3.conv"), "Mixed_6a");
    EXPECT_EQ(inception.at("Mixed_6e.branch7x7_1.conv"), "Mixed_6e");  // the only "e": still one of the series
    const auto vit = blocksOf({"conv_proj", "encoder.layers.encoder_layer_0.self_attention",
                               "encoder.layers.encoder_layer_0.self_attention.out_proj", "encoder.layers.encoder_layer_0.mlp.0",
                               "encoder.layers.encoder_layer_0.mlp.3", "encoder.layers.encoder_layer_1.self_attention",
                               "encoder.layers.encoder_layer_1.mlp.0", "heads.head"});
    EXPECT_EQ(vit.at("encoder.layers.encoder_layer_0.self_attention.out_proj"), "encoder.layers.encoder_layer_0");
    EXPECT_EQ(vit.at("encoder.layers.encoder_layer_0.mlp.3"), "encoder.layers.encoder_layer_0");
    EXPECT_EQ(vit.at("encoder.layers.encoder_layer_1.mlp.0"), "encoder.layers.encoder_layer_1");
    const auto efficient = blocksOf({"features.0.0", "features.1.0.block.0.0", "features.1.0.block.1.fc1", "features.2.0.block.0.0",
                                     "features.2.0.block.1.0", "features.2.1.block.0.0", "features.2.1.block.1.0", "classifier.1"});
    EXPECT_EQ(efficient.at("features.0.0"), "features.0.0");
    EXPECT_EQ(efficient.at("features.1.0.block.1.fc1"), "features.1.0");  // a stage of one block: the block
    EXPECT_EQ(efficient.at("features.2.1.block.0.0"), "features.2.1");
    const auto dense = blocksOf({"features.conv0", "features.denseblock1.denselayer1.conv1", "features.denseblock1.denselayer1.conv2",
                                 "features.denseblock1.denselayer2.conv1", "features.transition1.conv",
                                 "features.denseblock2.denselayer1.conv1", "features.denseblock2.denselayer1.conv2", "classifier"});
    EXPECT_EQ(dense.at("features.denseblock1.denselayer2.conv1"), "features.denseblock1");
    EXPECT_EQ(dense.at("features.transition1.conv"), "features.transition1.conv");
    const auto vgg = blocksOf({"features.0", "features.4", "features.8", "classifier.0", "classifier.3"});
    for (const auto& [layer, block] : vgg) EXPECT_EQ(block, layer);  // a plain stack: every layer is its own block
    const auto mobile = blocksOf({"features.0.0", "features.1.conv.0.0", "features.1.conv.1", "features.2.conv.0.0",
                                  "features.2.conv.1.0", "features.2.conv.2", "classifier.1"});
    EXPECT_EQ(mobile.at("features.2.conv.1.0"), "features.2");
    EXPECT_EQ(mobile.at("features.1.conv.1"), "features.1");
}

TEST(DiagramDetail, GroupVerticesJoinTheirUnitsKernelsExactly) {
    const auto whole = handCircuit(6, 11);
    DetailSpec spec;
    spec.level = DetailLevel::Block;
    auto view = diagramAtDetail(whole, spec, {});
    ASSERT_TRUE(view.ok()) << view.error().message;
    const auto& v = view.value();
    // input, stage.0, stage.1, head: one vertex each, every kernel accounted for.
    ASSERT_EQ(v.nodes.size(), 4u);
    EXPECT_EQ(totalKernels(v), totalKernels(whole));
    ASSERT_NE(findNode(v, "stage.0"), nullptr);
    EXPECT_EQ(findNode(v, "stage.0")->kind, NodeKind::Block);
    EXPECT_EQ(findNode(v, "stage.0")->members, 12);
    EXPECT_TRUE(findNode(v, "head")->target);
    // Each joined edge equals the sums over the whole circuit's edges between its groups.
    const auto groupOf = [&](const DiagramNode& n) { return n.layer < 0 ? std::string("input") : whole.layerBlocks[size_t(n.layer)]; };
    for (const auto& e : v.edges) {
        double saliency = 0, mass = 0, balance = 0;
        int64_t kernels = 0;
        for (const auto& f : whole.edges) {
            if (groupOf(whole.nodes[f.from]) != v.nodes[e.from].id || groupOf(whole.nodes[f.to]) != v.nodes[e.to].id) continue;
            saliency += f.saliency;
            kernels += f.kernels;
            mass += f.weightMass;
            balance += f.signBalance * f.weightMass;
        }
        EXPECT_NEAR(e.saliency, saliency, 1e-9);
        EXPECT_EQ(e.kernels, kernels);
        EXPECT_NEAR(e.signBalance, balance / mass, 1e-12);
    }
    // Layers: one vertex per layer; the kernels between a block's two layers are an edge now.
    spec.level = DetailLevel::Layer;
    auto layers = diagramAtDetail(whole, spec, {}).take();
    EXPECT_EQ(layers.nodes.size(), 6u);
    EXPECT_EQ(totalKernels(layers), totalKernels(whole));
    for (const auto& n : layers.nodes) EXPECT_EQ(n.innerKernels, 0);
}

TEST(DiagramDetail, ExpandingABlockShowsItsUnitsInPlace) {
    const auto whole = handCircuit(5, 3);
    DetailSpec spec;
    spec.level = DetailLevel::Block;
    spec.topEdges = 0;
    spec.expanded["stage.1"] = DetailLevel::Unit;
    auto v = diagramAtDetail(whole, spec, {}).take();
    EXPECT_NE(findNode(v, "stage.0"), nullptr);
    EXPECT_EQ(findNode(v, "stage.1"), nullptr);
    for (int u = 0; u < 5; ++u) {
        ASSERT_NE(findNode(v, "stage.1.a:" + std::to_string(u)), nullptr);
        EXPECT_EQ(findNode(v, "stage.1.b:" + std::to_string(u))->kind, NodeKind::Unit);
    }
    EXPECT_EQ(v.layers, (std::vector<std::string>{"stage.1.a", "stage.1.b"}));  // ranks only for units
    EXPECT_EQ(totalKernels(v), totalKernels(whole));
    // The kernels between the expanded units are the whole circuit's edges, one for one.
    int64_t inside = 0, wholeInside = 0;
    for (const auto& e : v.edges) inside += v.nodes[e.from].rank == "stage.1.a" && v.nodes[e.to].rank == "stage.1.b";
    for (const auto& e : whole.edges) wholeInside += whole.nodes[e.from].rank == "stage.1.a" && whole.nodes[e.to].rank == "stage.1.b";
    EXPECT_EQ(inside, wholeInside);
    EXPECT_NE(detailKey(spec), detailKey(DetailSpec{}));
    // Collapsing it again gives the overview back.
    spec.expanded.clear();
    EXPECT_EQ(diagramAtDetail(whole, spec, {}).take().nodes.size(), 4u);
}

TEST(DiagramDetail, TheUnitLevelKeepsEachUnitsTopEdges) {
    const auto whole = handCircuit(8, 5);
    DetailSpec spec;
    spec.level = DetailLevel::Unit;
    spec.topEdges = 2;
    auto v = diagramAtDetail(whole, spec, {}).take();
    EXPECT_EQ(v.nodes.size(), whole.nodes.size());
    EXPECT_EQ(int64_t(v.edges.size()) + v.hiddenEdges, int64_t(whole.edges.size()));
    EXPECT_GT(v.hiddenEdges, 0);
    // Every unit keeps its two strongest edges in and out, and every kept edge is one of them.
    std::map<size_t, std::vector<double>> in, out;
    for (const auto& e : whole.edges) {
        in[e.to].push_back(e.saliency);
        out[e.from].push_back(e.saliency);
    }
    const auto rankOf = [](std::vector<double> list, double s) {
        std::sort(list.rbegin(), list.rend());
        return std::find(list.begin(), list.end(), s) - list.begin();
    };
    std::map<std::string, size_t> wholeIndex;
    for (size_t i = 0; i < whole.nodes.size(); ++i) wholeIndex[whole.nodes[i].id] = i;
    std::map<size_t, int> keptIn;
    for (const auto& e : v.edges) {
        const size_t from = wholeIndex.at(v.nodes[e.from].id), to = wholeIndex.at(v.nodes[e.to].id);
        EXPECT_TRUE(rankOf(in[to], e.saliency) < 2 || rankOf(out[from], e.saliency) < 2);
        ++keptIn[to];
    }
    for (const auto& [to, list] : in) EXPECT_GE(keptIn[to], std::min<int>(2, int(list.size())));
    // A unit expanded to its kernels keeps all of its edges.
    spec.expanded["stage.1.a:3"] = DetailLevel::Kernel;
    auto withKernels = diagramAtDetail(whole, spec, {}).take();
    int64_t edgesOf3 = 0;
    for (const auto& e : withKernels.edges) edgesOf3 += withKernels.nodes[e.to].id == "stage.1.a:3" || withKernels.nodes[e.from].id == "stage.1.a:3";
    EXPECT_EQ(edgesOf3, int64_t(in[wholeIndex.at("stage.1.a:3")].size() + out[wholeIndex.at("stage.1.a:3")].size()));
}

TEST(DiagramDetail, FocusViewsAreTheUnitsCone) {
    const auto whole = handCircuit(6, 9);
    DetailSpec spec;
    spec.focus = "stage.0.b:2";
    spec.depth = 1;
    spec.allEdges = true;
    auto all = diagramAtDetail(whole, spec, {}).take();
    // Depth 1, every edge: exactly the unit's own edges in and out.
    size_t own = 0;
    for (const auto& e : whole.edges) own += whole.nodes[e.from].id == spec.focus || whole.nodes[e.to].id == spec.focus;
    EXPECT_EQ(all.edges.size(), own);
    EXPECT_EQ(all.hiddenEdges, 0);
    EXPECT_EQ(focusEdgeCount(whole, spec).value(), int64_t(own));
    for (const auto& e : all.edges) EXPECT_TRUE(all.nodes[e.from].id == spec.focus || all.nodes[e.to].id == spec.focus);
    // Top 2 per unit, depth 2: the chosen edges are fewer and the count of the rest is given.
    spec.allEdges = false;
    spec.depth = 2;
    spec.topEdges = 2;
    auto top = diagramAtDetail(whole, spec, {}).take();
    spec.allEdges = true;
    const int64_t cone = focusEdgeCount(whole, spec).value();
    EXPECT_LT(int64_t(top.edges.size()), cone);
    EXPECT_EQ(int64_t(top.edges.size()) + top.hiddenEdges, cone);
    EXPECT_LE(top.edges.size(), size_t(2 + 2 + 2 * 2 * 2));  // 2 in + 2 out, then 2 per reached unit each way
    spec.focus = "stage.0.b:99";
    auto missing = diagramAtDetail(whole, spec, {});
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("no unit stage.0.b:99"), std::string::npos);
}

TEST(DiagramDetail, TooLargeAViewIsRefusedOrDrawnAsTheOverview) {
    const auto whole = handCircuit(10, 1);
    DiagramOptions small;
    small.maxEdges = 40;
    auto refused = diagramAtDetail(whole, DetailSpec{}, small);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("more than the 40"), std::string::npos);
    auto drawn = drawableDiagram(whole, DetailSpec{}, small);
    ASSERT_TRUE(drawn.ok()) << drawn.error().message;
    EXPECT_EQ(drawn.value().detail.level, DetailLevel::Block);
    EXPECT_EQ(drawn.value().nodes.size(), 4u);
    ASSERT_FALSE(drawn.value().notes.empty());
    EXPECT_NE(drawn.value().notes.back().find("block overview"), std::string::npos);
    // What fits is drawn as asked, without a note.
    auto fits = drawableDiagram(whole, DetailSpec{}, {});
    EXPECT_EQ(fits.value().detail.level, DetailLevel::Kernel);
    EXPECT_EQ(fits.value().edges.size(), whole.edges.size());
    EXPECT_TRUE(fits.value().notes.empty());
}

TEST(DiagramDetail, TheLayeredLayoutKeepsLayersInRanksInModelOrder) {
    auto d = handCircuit(400, 2);  // 1,600 units: past dot's size
    DetailSpec spec;
    spec.level = DetailLevel::Unit;
    spec.topEdges = 3;
    auto view = diagramAtDetail(d, spec, {}).take();
    ASSERT_TRUE(needsLayeredLayout(view));
    JobContext job;
    ASSERT_TRUE(layoutDiagram(view, {}, job).ok());
    ASSERT_TRUE(view.laidOut);
    std::map<std::string, std::set<double>> xOfRank;
    for (const auto& n : view.nodes) {
        xOfRank[n.rank].insert(n.x);
        EXPECT_GE(n.x - n.width / 2, 0);
        EXPECT_LE(n.x + n.width / 2, view.width + 1e-6);
        EXPECT_GE(n.y - n.height / 2, 0);
        EXPECT_LE(n.y + n.height / 2, view.height + 1e-6);
    }
    double previous = -1;
    for (const auto& rank : view.layers) {
        ASSERT_EQ(xOfRank[rank].size(), 1u) << rank;  // one column per layer
        EXPECT_GT(*xOfRank[rank].begin(), previous) << rank;
        previous = *xOfRank[rank].begin();
    }
    // Vertices of a rank do not overlap; edges start at their tail and end at their head.
    std::map<double, std::vector<std::pair<double, double>>> spans;
    for (const auto& n : view.nodes) spans[n.x].push_back({n.y - n.height / 2, n.y + n.height / 2});
    for (auto& [x, list] : spans) {
        std::sort(list.begin(), list.end());
        for (size_t k = 1; k < list.size(); ++k) EXPECT_GE(list[k].first, list[k - 1].second);
    }
    for (const auto& e : view.edges) {
        ASSERT_EQ(e.points.size(), 8u);
        EXPECT_DOUBLE_EQ(e.points[1], view.nodes[e.from].y);
        EXPECT_DOUBLE_EQ(e.points[7], view.nodes[e.to].y);
    }
    // Graphviz renders it where the layout put it.
    const std::string svg = cx::test::tempDir() + "/large.svg";
    ASSERT_TRUE(exportDiagram(view, {}, svg).ok());
    std::ifstream in(svg);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("stage.1.b:399"), std::string::npos);
}

TEST(DiagramDetail, BlockOverviewOfARealModelsCircuit) {
    // compat_mobile: stem, two inverted-residual blocks (blocks.0, blocks.1), fc.
    const auto model = cx::test::modelPath("compat_mobile_trace");
    auto opened = Workspace::open(model);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    auto& ws = *opened.value();
    const std::string images = cx::test::tempDir() + "/mobile_images.safetensors";
    SafetensorsFile file;
    file.tensors["images"] = tensorToBlob(torch::randn({4, 3, 16, 16}));
    ASSERT_TRUE(writeSafetensors(images, file).ok());
    ScoreSpec score;
    score.images = images;
    score.target = "fc:0";
    JobContext job;
    auto scores = computeScores(ws, score, job);
    ASSERT_TRUE(scores.ok()) << scores.error().message;
    PruneSpec prune;
    prune.sparsity = 0.5;
    prune.minmax = true;
    auto pruned = pruneCircuit(ws, *scores.value(), prune, job);
    ASSERT_TRUE(pruned.ok()) << pruned.error().message;
    auto whole = buildDiagram(ws, *pruned.value().mask, nullptr, {}).take();
    EXPECT_EQ(whole.layerBlocks, (std::vector<std::string>{"stem", "blocks.0", "blocks.0", "blocks.0", "blocks.1", "blocks.1",
                                                          "blocks.1", "fc"}));
    DetailSpec spec;
    spec.level = DetailLevel::Block;
    auto overview = diagramAtDetail(whole, spec, {}).take();
    std::set<std::string> ids;
    for (const auto& n : overview.nodes) ids.insert(n.id);
    EXPECT_EQ(ids, (std::set<std::string>{"input", "stem", "blocks.0", "blocks.1", "fc"}));
    EXPECT_EQ(totalKernels(overview), totalKernels(whole));
    EXPECT_TRUE(findNode(overview, "fc")->target);
    ASSERT_TRUE(layoutDiagram(overview, {}, job).ok());
    // The blocks follow each other: an edge joins blocks.0 to blocks.1.
    bool blocks0ToBlocks1 = false;
    for (const auto& e : overview.edges) blocks0ToBlocks1 |= overview.nodes[e.from].id == "blocks.0" && overview.nodes[e.to].id == "blocks.1";
    EXPECT_TRUE(blocks0ToBlocks1);
}
