// Layer tables and channel dependency graphs of real TorchScript models (scripted and traced
// by tests/data/make_test_models.py), and the errors for files that are not usable models.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/script.h>

#include "engine/model/model.h"
#include "test_util.h"

using namespace cx::engine;
using cx::test::modelPath;

namespace {

std::shared_ptr<Model> load(const std::string& name) {
    auto m = Model::load(modelPath(name));
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return m.ok() ? m.value() : nullptr;
}

const LayerInfo& layer(const Model& m, const std::string& name) {
    const int i = m.summary().indexOf(name);
    EXPECT_GE(i, 0) << "no layer " << name;
    return m.summary().layers.at(static_cast<size_t>(std::max(i, 0)));
}

void expectSegment(const Model& m, const InputSegment& s, const std::string& source, int64_t offset, int64_t channels,
                   FlowMode mode) {
    EXPECT_EQ(m.summary().sourceName(s.source), source);
    EXPECT_EQ(s.channelOffset, offset);
    EXPECT_EQ(s.channels, channels);
    EXPECT_EQ(s.mode, mode);
}

class BothExports : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(BothExports, ChainLayersAndFlattenIntoLinear) {
    auto m = load("chain" + GetParam());
    ASSERT_TRUE(m);
    const auto& layers = m->summary().layers;
    ASSERT_EQ(layers.size(), 5u);
    EXPECT_EQ(layers[0].name, "features.0");
    EXPECT_EQ(layers[0].param, "features.0.weight");
    EXPECT_EQ(layers[0].biasParam, "features.0.bias");
    EXPECT_EQ(layers[0].kind, LayerKind::Conv2d);
    EXPECT_EQ(layers[0].weightShape, (std::vector<int64_t>{4, 3, 3, 3}));
    EXPECT_EQ(layers[0].padding, (std::vector<int64_t>{1, 1}));
    expectSegment(*m, layers[0].inputs.at(0), "input", 0, 3, FlowMode::Identity);
    ASSERT_EQ(layer(*m, "features.3").inputs.size(), 1u);
    expectSegment(*m, layer(*m, "features.3").inputs[0], "features.0", 0, 4, FlowMode::Identity);
    // 5 channels x 4 x 4 positions flattened into 80 features: 16 features per channel.
    const auto& fc = layer(*m, "classifier.1");
    EXPECT_EQ(fc.kind, LayerKind::Linear);
    EXPECT_EQ(fc.inChannels, 80);
    ASSERT_EQ(fc.inputs.size(), 1u);
    expectSegment(*m, fc.inputs[0], "features.5", 0, 80, FlowMode::Expand);
    EXPECT_EQ(fc.inputs[0].sourceChannels, 5);
    expectSegment(*m, layer(*m, "classifier.3").inputs.at(0), "classifier.1", 0, 7, FlowMode::Identity);
    for (const auto& l : layers) EXPECT_TRUE(l.reachable) << l.name;
}

TEST_P(BothExports, ResidualAddMergesBothBranches) {
    auto m = load("residual" + GetParam());
    ASSERT_TRUE(m);
    const auto& b1 = layer(*m, "branch1");
    EXPECT_EQ(b1.stride, (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(b1.dilation, (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(layer(*m, "branch2").groups, 2);
    EXPECT_EQ(layer(*m, "branch2").inChannels, 6);
    // batch-norm and ReLU pass channels through: stem feeds both branch1 and the shortcut.
    ASSERT_EQ(b1.inputs.size(), 1u);
    expectSegment(*m, b1.inputs[0], "stem", 0, 4, FlowMode::Identity);
    expectSegment(*m, layer(*m, "shortcut").inputs.at(0), "stem", 0, 4, FlowMode::Identity);
    // The residual sum and the spatial mean keep channel identity: each head input channel
    // reads the same channel of branch2 and of the shortcut.
    const auto& head = layer(*m, "head");
    ASSERT_EQ(head.inputs.size(), 2u);
    expectSegment(*m, head.inputs[0], "branch2", 0, 6, FlowMode::Identity);
    expectSegment(*m, head.inputs[1], "shortcut", 0, 6, FlowMode::Identity);
}

TEST_P(BothExports, ConcatOffsets) {
    auto m = load("concat" + GetParam());
    ASSERT_TRUE(m);
    const auto& merge = layer(*m, "merge");
    ASSERT_EQ(merge.inputs.size(), 2u);
    expectSegment(*m, merge.inputs[0], "a", 0, 2, FlowMode::Identity);
    expectSegment(*m, merge.inputs[1], "b", 2, 5, FlowMode::Identity);
}

TEST_P(BothExports, TransposedWeightLinear) {
    auto m = load("tiny_mlp" + GetParam());
    ASSERT_TRUE(m);
    const auto& fc = m->summary().layers.at(0);
    EXPECT_EQ(fc.param, "c_fc_weight");
    EXPECT_EQ(fc.kind, LayerKind::TransposedLinear);
    EXPECT_EQ(fc.inChannels, 6);
    EXPECT_EQ(fc.outChannels, 8);
    EXPECT_EQ(fc.biasParam, "c_fc_bias");
    expectSegment(*m, layer(*m, "proj").inputs.at(0), "c_fc_weight", 0, 8, FlowMode::Identity);
}

TEST_P(BothExports, Conv1dAndMaxOverTime) {
    auto m = load("seq1d" + GetParam());
    ASSERT_TRUE(m);
    const auto& conv = layer(*m, "conv");
    EXPECT_EQ(conv.kind, LayerKind::Conv1d);
    EXPECT_EQ(conv.stride, (std::vector<int64_t>{2}));
    EXPECT_EQ(conv.weightShape, (std::vector<int64_t>{6, 4, 5}));
    expectSegment(*m, conv.inputs.at(0), "input", 0, 4, FlowMode::Identity);
    ASSERT_EQ(layer(*m, "fc").inputs.size(), 1u);
    expectSegment(*m, layer(*m, "fc").inputs[0], "conv", 0, 6, FlowMode::Identity);
}

INSTANTIATE_TEST_SUITE_P(Exports, BothExports, ::testing::Values("", "_traced"),
                         [](const auto& info) { return info.param.empty() ? "scripted" : "traced"; });

TEST(ModelAnalysis, DeadBranchIsUnreachable) {
    // Tracing drops the unused branch; scripting keeps it in the graph.
    auto m = load("concat");
    ASSERT_TRUE(m);
    EXPECT_FALSE(layer(*m, "dead").reachable);
    EXPECT_TRUE(layer(*m, "a").reachable);
    EXPECT_TRUE(layer(*m, "merge").reachable);
}

TEST(ModelAnalysis, HashAndParameterCount) {
    auto m = load("tiny_mlp");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->summary().sha256.size(), 64u);
    EXPECT_EQ(m->summary().parameterCount, 6 * 8 + 8 + 8 * 4 + 4);
}

TEST(ModelErrors, MissingFile) {
    auto m = Model::load("/nonexistent/model.pt");
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::InvalidInput);
    EXPECT_NE(m.error().message.find("not found"), std::string::npos);
}

TEST(ModelErrors, NotTorchScript) {
    const std::string path = cx::test::tempDir() + "/notes.pt";
    std::ofstream(path) << "this is a text file, not a model\n";
    auto m = Model::load(path);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::InvalidInput);
    EXPECT_NE(m.error().message.find("not a TorchScript model"), std::string::npos);
    EXPECT_NE(m.error().message.find(path), std::string::npos);
}

TEST(ModelErrors, TruncatedFile) {
    const std::string path = cx::test::tempDir() + "/truncated.pt";
    std::ifstream in(modelPath("chain"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    auto m = Model::load(path);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::InvalidInput);
    EXPECT_NE(m.error().message.find("not a readable TorchScript model"), std::string::npos);
}

TEST(ModelErrors, ModelWithoutLayers) {
    torch::jit::Module net("cx_test.OnlyRelu");
    net.define("def forward(self, x):\n    return torch.relu(x)\n");
    const std::string path = cx::test::tempDir() + "/relu.pt";
    net.save(path);
    auto m = Model::load(path);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::InvalidInput);
    EXPECT_NE(m.error().message.find("no convolution or linear layer"), std::string::npos);
}
