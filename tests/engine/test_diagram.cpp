// Circuit diagrams: nodes and edges of a hand-built kernel mask, sign balance and saliency by
// hand, dead ends, a flattened conv feeding a linear layer, Graphviz layout and exports.
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/demo/demo_run.h"
#include "engine/diagram/diagram.h"
#include "engine/diagram/diagram_layout.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/circuit_activations.h"
#include "engine/pruning/circuit_job.h"
#include "engine/pruning/internal/circuit_files.h"
#include "engine/pruning/sweep_job.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

// Chain: features.0 (4x3), features.3 (6x4), features.5 (5x6). Kept kernels, target features.5:2:
//   input 0 -> f0:1, input 2 -> f0:1, f0:1 -> f3:4, f3:4 -> f5:2  (live)
//   input 1 -> f0:3                                               (dead: f0:3 feeds nothing kept)
std::string handMask(const Model& m, bool withScores) {
    std::map<int, torch::Tensor> masks;
    masks[0] = torch::zeros({4, 3}, torch::kBool);
    masks[0][1][0] = masks[0][1][2] = masks[0][3][1] = true;
    masks[1] = torch::zeros({6, 4}, torch::kBool);
    masks[1][4][1] = true;
    masks[2] = torch::zeros({5, 6}, torch::kBool);
    masks[2][2][4] = true;
    const std::string path = cx::test::tempDir() + (withScores ? "/scored.safetensors" : "/mask.safetensors");
    Metadata meta = {{"target", "features.5:2"}};
    EXPECT_TRUE(writeUnitMasks(path, m, Granularity::Kernel, masks, {}, meta).ok());
    return path;
}

double balance(const torch::Tensor& kernel) {
    const double pos = kernel.clamp_min(0).sum().item<double>(), neg = (-kernel).clamp_min(0).sum().item<double>();
    return (pos - neg) / (pos + neg);
}

}  // namespace

TEST(Diagram, NodesEdgesAndSignBalanceOfAHandBuiltCircuit) {
    const auto modelPath = cx::test::modelPath("chain");
    auto m = Model::load(modelPath).take();
    const auto mask = handMask(*m, false);
    auto d = buildDiagram(modelPath, mask, "", {}).take();
    // Live circuit only: inputs 0 and 2, f0:1, f3:4, f5:2.
    std::set<std::string> ids;
    for (const auto& n : d.nodes) ids.insert(n.id);
    EXPECT_EQ(ids, (std::set<std::string>{"input:0", "input:2", "features.0:1", "features.3:4", "features.5:2"}));
    ASSERT_EQ(d.edges.size(), 4u);
    EXPECT_EQ(d.layers, (std::vector<std::string>{"input", "features.0", "features.3", "features.5"}));
    const auto w3 = m->impl().param("features.3.weight");
    for (const auto& e : d.edges) {
        EXPECT_FALSE(e.dead);
        EXPECT_DOUBLE_EQ(e.saliency, 1.0);  // no scores: every kernel counts 1
        if (d.nodes[e.to].id == "features.3:4") EXPECT_NEAR(e.signBalance, balance(w3[4][1]), 1e-9);
    }
    for (const auto& n : d.nodes) EXPECT_EQ(n.target, n.id == "features.5:2");
    // With dead ends shown: input 1 -> f0:3 appears, greyed.
    DiagramOptions all;
    all.showDeadEnds = true;
    auto withDead = buildDiagram(modelPath, mask, "", all).take();
    ASSERT_EQ(withDead.edges.size(), 5u);
    int dead = 0;
    for (const auto& e : withDead.edges) dead += e.dead;
    EXPECT_EQ(dead, 1);
}

TEST(Diagram, LayoutPlacesRanksInOrderAndExportsValidFiles) {
    const auto modelPath = cx::test::modelPath("chain");
    auto m = Model::load(modelPath).take();
    auto d = buildDiagram(modelPath, handMask(*m, false), "", {}).take();
    JobContext job;
    ASSERT_TRUE(layoutDiagram(d, {}, job).ok());
    EXPECT_TRUE(d.laidOut);
    std::map<std::string, double> x;
    for (const auto& n : d.nodes) x[n.rank] = n.x;
    EXPECT_LT(x["input"], x["features.0"]);
    EXPECT_LT(x["features.0"], x["features.3"]);
    EXPECT_LT(x["features.3"], x["features.5"]);
    for (const auto& e : d.edges) EXPECT_GE(e.points.size(), 8u);  // one cubic Bezier at least
    const std::string dir = cx::test::tempDir();
    auto head = [](const std::string& path, size_t n) {
        std::ifstream in(path, std::ios::binary);
        std::string s(n, '\0');
        in.read(s.data(), std::streamsize(n));
        return s;
    };
    ASSERT_TRUE(exportDiagram(d, {}, dir + "/c.svg").ok());
    EXPECT_NE(head(dir + "/c.svg", 400).find("<svg"), std::string::npos);
    ASSERT_TRUE(exportDiagram(d, {}, dir + "/c.png", 150).ok());
    EXPECT_EQ(head(dir + "/c.png", 4), "\x89PNG");
    ASSERT_TRUE(exportDiagram(d, {}, dir + "/c.pdf").ok());
    EXPECT_EQ(head(dir + "/c.pdf", 4), "%PDF");
    ASSERT_TRUE(exportDiagram(d, {}, dir + "/c.dot").ok());
    EXPECT_EQ(head(dir + "/c.dot", 7), "digraph");
    auto bad = exportDiagram(d, {}, dir + "/c.bmp");
    EXPECT_FALSE(bad.ok());
    EXPECT_FALSE(std::filesystem::exists(dir + "/c.bmp"));
    JobContext cancelled;
    cancelled.token()->cancel();
    EXPECT_EQ(layoutDiagram(d, {}, cancelled).error().code, ErrorCode::Cancelled);
}

TEST(Diagram, FlattenedConvMapsJoinIntoOneEdgePerChannel) {
    const auto modelPath = cx::test::modelPath("chain");
    auto m = Model::load(modelPath).take();
    // classifier.1 reads features.5 flattened (5 channels x 16 positions): neuron 0 keeps all 16
    // weights of channel 3 and one of channel 1; the target is classifier.1:0.
    std::map<int, torch::Tensor> masks;
    masks[3] = torch::zeros({7, 80}, torch::kBool);
    masks[3][0].narrow(0, 48, 16).fill_(true);
    masks[3][0][17] = true;
    const std::string path = cx::test::tempDir() + "/fc.safetensors";
    ASSERT_TRUE(writeUnitMasks(path, *m, Granularity::Weight, masks, {}, {{"target", "classifier.1:0"}}).ok());
    auto d = buildDiagram(modelPath, path, "", {}).take();  // unmasked layers upstream count as whole
    ASSERT_EQ(d.edges.size(), 2u);
    std::map<std::string, int64_t> kernels;
    for (const auto& e : d.edges) kernels[d.nodes[e.from].id] = e.kernels;
    EXPECT_EQ(kernels["features.5:3"], 16);
    EXPECT_EQ(kernels["features.5:1"], 1);
}

// findCircuit's activation scatter: |r| equals an independent sweep at the same criterion and
// sparsity, a reused scores file gives the same mask, and an all-kept mask reproduces the model.
TEST(FindCircuit, ActivationsMatchTheSweepAndReusedScoresPruneTheSame) {
    const std::string demo = std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt";
    const std::string dir = cx::test::tempDir();
    const std::string images = dir + "/images.safetensors";
    ASSERT_TRUE(writeShapesImages(images, 48, 3).ok());
    FindCircuitRequest req;
    req.model = demo;
    req.images = images;
    req.target = "features.conv3:5";
    req.sparsity = 0.2;
    req.workDir = dir + "/first";
    JobContext job;
    auto found = findCircuit(req, job);
    ASSERT_TRUE(found.ok()) << found.error().message;
    const auto& act = found.value().activations;
    ASSERT_EQ(act.original.size(), act.circuit.size());
    EXPECT_GT(act.original.size(), 48u);  // images x positions

    SweepRequest sweep;
    sweep.model = demo;
    sweep.images = images;
    sweep.target = req.target;
    sweep.criteria = {Criterion::ActGrad};
    sweep.sparsities = {0.2};
    sweep.out = dir + "/curve.csv";
    auto curve = runSweep(sweep, job);
    ASSERT_TRUE(curve.ok()) << curve.error().message;
    EXPECT_NEAR(act.pearson, curve.value()[0].pearson, 1e-5);
    EXPECT_EQ(found.value().prune.kept, curve.value()[0].kept);

    req.reuseScores = found.value().scoresFile;
    req.workDir = dir + "/second";
    auto again = findCircuit(req, job);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value().scoresFile, req.reuseScores);
    EXPECT_EQ(again.value().prune.kept, found.value().prune.kept);
    EXPECT_EQ(again.value().activations.circuit, act.circuit);

    auto model = Model::load(demo).take();
    std::map<int, torch::Tensor> all;
    for (int l : {0, 1, 2}) {
        const auto& w = model->summary().layers[size_t(l)].weightShape;
        all[l] = torch::ones({w[0], w[1]}, torch::kBool);
    }
    const std::string full = dir + "/all.safetensors";
    ASSERT_TRUE(writeUnitMasks(full, *model, Granularity::Kernel, all, {}, {}).ok());
    auto same = circuitActivations(demo, images, full, req.target, job);
    ASSERT_TRUE(same.ok()) << same.error().message;
    EXPECT_EQ(same.value().original, same.value().circuit);
    EXPECT_NEAR(same.value().pearson, 1.0, 1e-6);
}

// A direction target (eq. 1) from the GUI's path: the scores file keeps the coefficients, so it
// prunes; the diagram marks exactly the channels with a non-zero coefficient as targets; and the
// scatter's |r| equals a sweep's for the same direction.
TEST(FindCircuit, DirectionTargetsPruneAndMarkTheirChannels) {
    const std::string demo = std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt";
    const std::string dir = cx::test::tempDir();
    const std::string images = dir + "/images.safetensors";
    ASSERT_TRUE(writeShapesImages(images, 32, 4).ok());
    const std::string direction = dir + "/direction.txt";
    std::set<int64_t> nonZero;
    {
        std::ofstream out(direction);
        for (int64_t c = 0; c < 48; ++c) {
            const int v = c % 7 == 0 ? 1 : (c % 11 == 0 ? -2 : 0);
            if (v) nonZero.insert(c);
            out << v << (c % 8 == 7 ? "\n" : " ");
        }
    }
    FindCircuitRequest req;
    req.model = demo;
    req.images = images;
    req.target = "features.conv3";
    req.directionFile = direction;
    req.sparsity = 0.3;
    req.workDir = dir + "/found";
    JobContext job;
    auto found = findCircuit(req, job);
    ASSERT_TRUE(found.ok()) << found.error().message;
    std::set<int64_t> targets;
    for (const auto& n : found.value().diagram.nodes)
        if (n.target) targets.insert(n.unit);
    EXPECT_EQ(targets, nonZero);

    SweepRequest sweep;
    sweep.model = demo;
    sweep.images = images;
    sweep.target = req.target;
    sweep.directionFile = direction;
    sweep.criteria = {Criterion::ActGrad};
    sweep.sparsities = {0.3};
    sweep.out = dir + "/curve.csv";
    auto curve = runSweep(sweep, job);
    ASSERT_TRUE(curve.ok()) << curve.error().message;
    EXPECT_EQ(found.value().prune.kept, curve.value()[0].kept);
    EXPECT_NEAR(found.value().activations.pearson, curve.value()[0].pearson, 1e-5);
}
