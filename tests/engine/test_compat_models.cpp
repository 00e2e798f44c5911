// The constructs of torchvision's architectures, each in a small committed model saved both
// scripted and traced (tests/data/make_compat_models.py): the layer table and channel inputs
// equal a hand-written expectation, and script and trace agree on layers and ActGrad scores.
#include <gtest/gtest.h>
#include <torch/script.h>

#include "engine/io/internal/tensor_io.h"
#include "engine/io/safetensors.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/circuit.h"
#include "engine/pruning/internal/scoring.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

std::shared_ptr<Model> load(const std::string& name) {
    auto m = Model::load(cx::test::modelPath("compat_" + name));
    EXPECT_TRUE(m.ok()) << name << ": " << (m.ok() ? "" : m.error().message);
    return m.ok() ? m.value() : nullptr;
}

// One input segment written as the inspect table prints it: "source[a:b]->offset",
// "source (all)" for a dense span.
std::string describe(const ModelSummary& s, const InputSegment& seg) {
    const std::string source = s.sourceName(seg.source);
    if (seg.mode == FlowMode::Dense) return source + " (all)";
    return source + "[" + std::to_string(seg.sourceOffset) + ":" + std::to_string(seg.sourceOffset + seg.sourceChannels) +
           "]->" + std::to_string(seg.channelOffset);
}

std::vector<std::string> inputsOf(const Model& m, const std::string& layer) {
    const auto& s = m.summary();
    const int i = s.indexOf(layer);
    EXPECT_GE(i, 0) << "no layer " << layer;
    std::vector<std::string> out;
    if (i < 0) return out;
    for (const auto& seg : s.layers[static_cast<size_t>(i)].inputs) out.push_back(describe(s, seg));
    return out;
}

std::vector<std::string> layerNames(const Model& m) {
    std::vector<std::string> out;
    for (const auto& l : m.summary().layers) out.push_back(l.name);
    return out;
}

using Inputs = std::vector<std::string>;

class Compat : public ::testing::TestWithParam<std::string> {
protected:
    std::shared_ptr<Model> model(const std::string& name) { return load(name + "_" + GetParam()); }
};

}  // namespace

TEST_P(Compat, InvertedResidualOnAConstantAttribute) {
    auto m = model("mobile");
    ASSERT_TRUE(m);
    // One layer per module: the residual branch is folded on use_res_connect, not merged.
    EXPECT_EQ(layerNames(*m), (Inputs{"stem", "blocks.0.expand", "blocks.0.dw", "blocks.0.project", "blocks.1.expand",
                                      "blocks.1.dw", "blocks.1.project", "fc"}));
    for (const auto& l : m->summary().layers) {
        EXPECT_FALSE(l.inControlFlow) << l.name;
        EXPECT_TRUE(l.reachable) << l.name;
    }
    EXPECT_EQ(inputsOf(*m, "blocks.0.expand"), (Inputs{"stem[0:4]->0"}));
    // Block 0 keeps its residual (4 -> 4, stride 1); block 1 (4 -> 6, stride 2) has none.
    EXPECT_EQ(inputsOf(*m, "blocks.1.expand"), (Inputs{"stem[0:4]->0", "blocks.0.project[0:4]->0"}));
    EXPECT_EQ(inputsOf(*m, "fc"), (Inputs{"blocks.1.project[0:6]->0"}));
    EXPECT_EQ(m->summary().layers[2].groups, 8);
}

TEST_P(Compat, DenseBlockListAppendAndConcat) {
    auto m = model("dense");
    ASSERT_TRUE(m);
    EXPECT_EQ(layerNames(*m), (Inputs{"stem", "layers.0.conv", "layers.1.conv", "layers.2.conv", "head"}));
    for (const auto& l : m->summary().layers) EXPECT_TRUE(l.reachable) << l.name;
    EXPECT_EQ(inputsOf(*m, "layers.0.conv"), (Inputs{"stem[0:4]->0"}));
    EXPECT_EQ(inputsOf(*m, "layers.1.conv"), (Inputs{"stem[0:4]->0", "layers.0.conv[0:2]->4"}));
    EXPECT_EQ(inputsOf(*m, "head"),
              (Inputs{"stem[0:4]->0", "layers.0.conv[0:2]->4", "layers.1.conv[0:2]->6", "layers.2.conv[0:2]->8"}));
}

TEST_P(Compat, ChannelSplitAndShuffle) {
    auto m = model("shuffle");
    ASSERT_TRUE(m);
    EXPECT_EQ(layerNames(*m), (Inputs{"stem", "down.branch1", "down.branch2", "unit.branch2", "head"}));
    // down: cat(b1, b2) shuffled in 2 groups -> b1_0 b2_0 b1_1 b2_1 b1_2 b2_2 b1_3 b2_3;
    // unit: the second half (b1_2 b2_2 b1_3 b2_3) goes through branch2.
    EXPECT_EQ(inputsOf(*m, "unit.branch2"),
              (Inputs{"down.branch1[2:3]->0", "down.branch1[3:4]->2", "down.branch2[2:3]->1", "down.branch2[3:4]->3"}));
    // cat(first half, u0..u3) shuffled: b1_0 u0 b2_0 u1 b1_1 u2 b2_1 u3.
    EXPECT_EQ(inputsOf(*m, "head"), (Inputs{"down.branch1[0:1]->0", "down.branch1[1:2]->4", "down.branch2[0:1]->2",
                                            "down.branch2[1:2]->6", "unit.branch2[0:1]->1", "unit.branch2[1:2]->3",
                                            "unit.branch2[2:3]->5", "unit.branch2[3:4]->7"}));
    EXPECT_TRUE(m->summary().notes.empty()) << m->summary().notes.front();
}

TEST_P(Compat, SqueezeExcitationScalesTheMap) {
    auto m = model("se");
    ASSERT_TRUE(m);
    EXPECT_EQ(inputsOf(*m, "fc1"), (Inputs{"conv[0:6]->0"}));
    EXPECT_EQ(inputsOf(*m, "fc2"), (Inputs{"fc1[0:2]->0"}));
    // x * s: channel c of the product reads channel c of the map and of the gate.
    EXPECT_EQ(inputsOf(*m, "out"), (Inputs{"conv[0:6]->0", "fc2[0:6]->0"}));
}

TEST_P(Compat, Gpt2Conv1dOnAViewOfTheInput) {
    auto m = model("gpt2_mlp");
    ASSERT_TRUE(m);
    const auto& s = m->summary();
    ASSERT_EQ(s.layers.size(), 2u);
    EXPECT_EQ(s.layers[0].kind, LayerKind::TransposedLinear);
    EXPECT_EQ(s.layers[0].inChannels, 4);
    EXPECT_EQ(s.layers[0].outChannels, 8);
    EXPECT_EQ(s.layers[0].biasParam, "c_fc.bias");
    EXPECT_EQ(inputsOf(*m, "c_fc"), (Inputs{"input[0:4]->0"}));
    // x.view(-1, C) and back keep the features as the last dimension.
    EXPECT_EQ(inputsOf(*m, "c_proj"), (Inputs{"c_fc[0:8]->0"}));
    EXPECT_TRUE(s.notes.empty()) << s.notes.front();
}

TEST_P(Compat, ConvolutionsWithoutBiasAndWithStringPadding) {
    auto m = model("padding");
    ASSERT_TRUE(m);
    const auto& l = m->summary().layers;
    ASSERT_EQ(l.size(), 3u);
    EXPECT_FALSE(l[0].hasBias());  // scripted reads self.bias (None): no bias reported
    EXPECT_EQ(l[1].biasParam, "valid.bias");
    EXPECT_FALSE(l[2].hasBias());
    EXPECT_EQ(l[0].padding, (std::vector<int64_t>{1, 1}));  // 'same', 3 x 3
    EXPECT_EQ(l[1].padding, (std::vector<int64_t>{0, 0}));  // 'valid'
    EXPECT_EQ(l[2].padding, (std::vector<int64_t>{2, 2}));  // 'same', 3 x 3 dilated by 2
    EXPECT_EQ(l[2].dilation, (std::vector<int64_t>{2, 2}));
}

TEST_P(Compat, WeightUsedTwiceIsTwoLayers) {
    auto m = model("shared");
    ASSERT_TRUE(m);
    EXPECT_EQ(layerNames(*m), (Inputs{"stem", "shared", "shared#2", "head"}));
    EXPECT_EQ(m->summary().layers[1].param, m->summary().layers[2].param);
    EXPECT_EQ(inputsOf(*m, "shared#2"), (Inputs{"shared[0:4]->0"}));
    EXPECT_EQ(inputsOf(*m, "head"), (Inputs{"shared#2[0:4]->0"}));
}

INSTANTIATE_TEST_SUITE_P(Exports, Compat, ::testing::Values("script", "trace"),
                         [](const auto& info) { return info.param; });

TEST(Compat, ScriptedAttentionTakesTheReferencePath) {
    auto m = load("attention_script");
    ASSERT_TRUE(m);
    EXPECT_EQ(layerNames(*m), (Inputs{"attn", "attn.out_proj", "fc"}));
    EXPECT_EQ(m->summary().layers[0].heads, 2);
    EXPECT_EQ(m->summary().layers[1].heads, 2);
    // The attention output reaches out_proj: its inputs are never empty.
    EXPECT_FALSE(m->summary().layers[1].inputs.empty());
    // `key is value` on one value and the batch-first transposes fold: no projection is left
    // inside a run-time branch.
    for (const auto& l : m->summary().layers) EXPECT_FALSE(l.inControlFlow) << l.name;
    // But whether the input is batched is asked at run time (its rank is unknown to a script),
    // so where the examples lie after the seq-first transpose is not known: saliency through
    // the attention is refused with the reason, never computed over the wrong dimension.
    EXPECT_EQ(m->summary().layers[0].exampleDim, kExamplesUnknown);
    ScoreOptions opt;
    opt.target = parseTarget("fc:1").value();
    JobContext job;
    torch::manual_seed(2);
    auto scores = scoreKernels(*m, torch::randn({3, 5, 8}), opt, job);
    ASSERT_FALSE(scores.ok());
    EXPECT_NE(scores.error().message.find("where the examples lie"), std::string::npos) << scores.error().message;
}

// After an embedding the input is known to be N x T token ids: the scripted forward's rank
// checks fold, and the in-projection's examples are followed through the batch-first
// transpose (seq-first there: dimension 1), so it scores as the trace does. Past it the
// reference path folds the heads into the batch dimension (bsz * num_heads), which is not
// followed: saliency through out_proj stays refused with the reason. Inputs of another rank
// are refused, never run through the folded checks.
TEST(Compat, ScriptedAttentionIsSpecialisedOnTheRankItsInputsHave) {
    auto scripted = load("token_attention_script");
    auto traced = load("token_attention_trace");
    ASSERT_TRUE(scripted && traced);
    EXPECT_EQ(scripted->summary().inputRank, 2);
    EXPECT_EQ(traced->summary().inputRank, 0);  // a trace asks nothing at run time
    bool noted = false;
    for (const auto& note : scripted->summary().notes) noted = noted || note.find("batches of rank 2") != std::string::npos;
    EXPECT_TRUE(noted);
    EXPECT_EQ(layerNames(*scripted), layerNames(*traced));
    for (const auto& name : layerNames(*scripted)) EXPECT_EQ(inputsOf(*scripted, name), inputsOf(*traced, name)) << name;
    EXPECT_EQ(scripted->summary().layers[0].exampleDim, 1);  // (T, N, 3E)
    EXPECT_EQ(traced->summary().layers[0].exampleDim, 0);
    EXPECT_EQ(scripted->summary().layers[1].exampleDim, kExamplesUnknown);
    torch::manual_seed(5);
    const auto ids = torch::randint(0, 20, {4, 5}, torch::kInt64);
    ScoreOptions opt;
    opt.target = parseTarget("attn:1").value();
    opt.batchSize = 3;
    JobContext job;
    auto a = scoreKernels(*scripted, ids, opt, job);
    auto b = scoreKernels(*traced, ids, opt, job);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(b.ok()) << b.error().message;
    ASSERT_EQ(a.value().scores.size(), 1u);
    const auto& s = a.value().scores.at(0);
    EXPECT_GT(s.abs().sum().item<double>(), 0.0);
    EXPECT_TRUE(torch::allclose(s, b.value().scores.at(0), 1e-5, 1e-7)) << (s - b.value().scores.at(0)).abs().max();
    opt.target = parseTarget("fc:1").value();
    auto through = scoreKernels(*scripted, ids, opt, job);
    ASSERT_FALSE(through.ok());
    EXPECT_NE(through.error().message.find("where the examples lie"), std::string::npos) << through.error().message;
    opt.target = parseTarget("attn:1").value();
    auto wrongRank = scoreKernels(*scripted, ids.unsqueeze(0), opt, job);
    ASSERT_FALSE(wrongRank.ok());
    EXPECT_NE(wrongRank.error().message.find("rank 2"), std::string::npos) << wrongRank.error().message;
}

TEST(Compat, TracedFusedAttentionIsRewrittenIntoItsProjections) {
    auto m = load("attention_trace");
    ASSERT_TRUE(m);
    EXPECT_EQ(layerNames(*m), (Inputs{"attn", "attn.out_proj", "fc"}));
    const auto& l = m->summary().layers;
    // The head count comes from the fused kernel's arguments (a traced module keeps no num_heads).
    EXPECT_EQ(l[0].heads, 2);
    EXPECT_EQ(l[1].heads, 2);
    EXPECT_EQ(l[0].attention, "attn");
    EXPECT_EQ(l[1].attention, "attn");
    EXPECT_EQ(inputsOf(*m, "attn"), (Inputs{"input[0:8]->0"}));
    // The rewritten graph computes what the traced module (fused kernel) computes.
    torch::manual_seed(4);
    auto x = torch::randn({3, 5, 8});
    {
        auto plan = ForwardPlan::build(*m, {}, true).take();
        torch::NoGradGuard noGrad;
        auto fused = m->impl().module.forward({x}).toTensor();
        EXPECT_TRUE(torch::allclose(plan.run({x}).modelOutput.toTensor(), fused, 1e-5, 1e-6));
    }
    // Traced, every layer's examples are known and the attention scores through both projections.
    for (const auto& layer : l) EXPECT_EQ(layer.exampleDim, 0) << layer.name;
    ScoreOptions opt;
    opt.target = parseTarget("fc:1").value();
    JobContext job;
    auto scores = scoreKernels(*m, x, opt, job);
    ASSERT_TRUE(scores.ok()) << scores.error().message;
    for (int layer : {0, 1}) EXPECT_GT(scores.value().scores.at(layer).abs().sum().item<double>(), 0.0) << layer;
}

TEST(Compat, TracedFusedEncoderLayerIsRefusedWithTheWayOut) {
    auto m = load("encoder_trace");
    ASSERT_TRUE(m);
    bool said = false;
    for (const auto& note : m->summary().notes)
        said = said || (note.find("_transformer_encoder_layer_fwd") != std::string::npos &&
                        note.find("torch.jit.script") != std::string::npos);
    EXPECT_TRUE(said);
    // Scripted, the same layer folds onto its reference path: all four projections are layers.
    auto scripted = load("encoder_script");
    ASSERT_TRUE(scripted);
    EXPECT_EQ(layerNames(*scripted), (Inputs{"layer.self_attn", "layer.self_attn.out_proj", "layer.linear1",
                                             "layer.linear2", "fc"}));
    for (const auto& l : scripted->summary().layers) EXPECT_FALSE(l.inControlFlow) << l.name;
}

// ActGrad of the same weights through the scripted and the traced graph.
TEST(Compat, ScriptAndTraceGiveTheSameActGradScores) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"mobile", "blocks.1.project:2"}, {"dense", "head:1"}, {"shuffle", "head:1"}, {"se", "out:0"},
        {"padding", "dilated_same:1"},   {"shared", "head:0"}};
    for (const auto& [name, target] : cases) {
        auto scripted = load(name + "_script");
        auto traced = load(name + "_trace");
        ASSERT_TRUE(scripted && traced) << name;
        torch::manual_seed(3);
        auto images = torch::randn({4, 3, 8, 8});
        ScoreOptions opt;
        opt.target = parseTarget(target).value();
        opt.batchSize = 2;
        JobContext job;
        auto a = scoreKernels(*scripted, images, opt, job);
        auto b = scoreKernels(*traced, images, opt, job);
        ASSERT_TRUE(a.ok()) << name << ": " << a.error().message;
        ASSERT_TRUE(b.ok()) << name << ": " << b.error().message;
        EXPECT_EQ(a.value().relevantCount, b.value().relevantCount) << name;
        EXPECT_GT(a.value().relevantCount, 0) << name;
        ASSERT_EQ(a.value().scores.size(), b.value().scores.size()) << name;
        for (const auto& [layer, s] : a.value().scores) {
            ASSERT_TRUE(b.value().scores.count(layer)) << name << " layer " << layer;
            const auto& t = b.value().scores.at(layer);
            EXPECT_TRUE(torch::allclose(s, t, 1e-5, 1e-7))
                << name << " " << scripted->summary().layers[static_cast<size_t>(layer)].name << " max diff "
                << (s - t).abs().max().item<double>();
        }
    }
}

// GPT-2's Conv1D runs addmm on x.view(-1, C): the rows are an example's positions, not
// examples. SNIP per example (|w * dL_n/dw| summed over examples) against a hand computation
// that runs each example on its own.
TEST(Compat, RowsOfAViewAreAnExamplesPositions) {
    for (const std::string mode : {"script", "trace"}) {
        auto m = load("gpt2_mlp_" + mode);
        ASSERT_TRUE(m);
        EXPECT_EQ(m->summary().layers[0].exampleDim, 0) << mode;
        torch::manual_seed(5);
        auto x = torch::randn({3, 5, 4});
        ScoreOptions opt;
        opt.target = parseTarget("c_proj:1").value();
        opt.criterion = Criterion::Snip;
        JobContext job;
        auto got = scoreKernels(*m, x, opt, job);
        ASSERT_TRUE(got.ok()) << got.error().message;
        const auto& p = m->impl().params;
        auto expected = torch::zeros({4, 8});
        for (int64_t n = 0; n < 3; ++n) {
            auto wfc = p.at("c_fc.weight").detach().clone().requires_grad_(true);
            auto h = torch::gelu(torch::addmm(p.at("c_fc.bias"), x[n], wfc));
            auto y = torch::addmm(p.at("c_proj.bias"), h, p.at("c_proj.weight"));
            y.select(1, 1).abs().sum().backward();
            expected += (wfc.grad() * wfc).abs().detach();
        }
        const auto& s = got.value().scores.at(0);
        const auto reference = s.sizes() == expected.sizes() ? expected : expected.t();
        EXPECT_TRUE(torch::allclose(s, reference, 1e-4, 1e-6))
            << mode << " max diff " << (s - reference).abs().max().item<double>();
    }
}

// GPT-2 keeps its head count in a plain attribute a traced module loses: the heads come from
// the view of c_attn's q slice into (b, t, heads, head_dim), and c_proj shares them.
TEST_P(Compat, Gpt2AttentionHeadsFromTheGraph) {
    auto m = model("gpt2_attn");
    ASSERT_TRUE(m);
    EXPECT_EQ(layerNames(*m), (Inputs{"attn.c_attn", "attn.c_proj", "head"}));
    const auto& l = m->summary().layers;
    EXPECT_EQ(l[0].heads, 2);
    EXPECT_EQ(l[1].heads, 2);
    EXPECT_EQ(l[0].attention, "attn");
    EXPECT_EQ(l[1].attention, "attn");
    EXPECT_EQ(l[2].heads, 0);
    EXPECT_EQ(inputsOf(*m, "head"), (Inputs{"attn.c_proj[0:8]->0"}));
}

// One tensor serves both uses of a shared weight: a circuit that keeps different kernels in
// each use cannot be run, and says so; one that keeps the same kernels runs.
TEST(Compat, ASharedWeightIsMaskedOneWayOrRefused) {
    auto m = load("shared_trace");
    ASSERT_TRUE(m);
    torch::manual_seed(8);
    auto images = torch::randn({3, 3, 8, 8});
    ScoreOptions opt;
    opt.target = parseTarget("head:0").value();
    JobContext job;
    auto scores = scoreKernels(*m, images, opt, job).take();
    auto whole = selectCircuit(*m, scores, {1.0, false, BiasMode::Masked}).take();
    EXPECT_NO_THROW(circuitOverrides(*m, whole));
    auto half = selectCircuit(*m, scores, {0.5, false, BiasMode::Masked}).take();
    ASSERT_FALSE(torch::equal(half.kept.at(1), half.kept.at(2)));
    try {
        circuitOverrides(*m, half);
        ADD_FAILURE() << "a shared weight masked two ways was accepted";
    } catch (const c10::Error& e) {
        EXPECT_NE(std::string(e.what()).find("used by more than one layer"), std::string::npos);
    }
}

// Every construct's circuit function against Python: a fixed circuit (kernel (o, i) removed
// where (3o + 5i) mod 7 is 0 or 1, in every conv / linear / in-projection weight) zeroed by hand
// in PyTorch and run there (tests/data/make_compat_models.py, compat_golden.safetensors), and
// here as weight overrides on the engine's own forward graph, scripted and traced alike.
TEST(Compat, CircuitFunctionEqualsTheHandZeroedNetworkInPython) {
    auto golden = readSafetensors(std::string(CX_TEST_DATA) + "/models/compat_golden.safetensors");
    ASSERT_TRUE(golden.ok()) << golden.error().message;
    auto tensor = [&](const std::string& key) {
        auto it = golden.value().tensors.find(key);
        EXPECT_NE(it, golden.value().tensors.end()) << key;
        return blobToTensor(it->second, "golden").take();
    };
    for (const std::string name : {"mobile", "dense", "shuffle", "se", "gpt2_mlp", "gpt2_attn", "padding", "shared",
                                   "attention", "encoder", "token_attention"})
        for (const std::string mode : {"script", "trace"}) {
            if (name == "encoder" && mode == "trace") continue;  // the fused whole-layer kernel: refused (above)
            auto m = load(name + "_" + mode);
            ASSERT_TRUE(m) << name << " " << mode;
            std::vector<std::string> params;
            std::vector<torch::Tensor> tensors;
            for (const auto& l : m->summary().layers) {
                if (std::find(params.begin(), params.end(), l.param) != params.end()) continue;  // a weight used twice
                const auto& w = m->impl().param(l.param);
                const int64_t rows = l.outChannels, cols = l.inChannels / l.groups;
                auto keep = torch::zeros({rows, cols});
                for (int64_t o = 0; o < rows; ++o)
                    for (int64_t i = 0; i < cols; ++i) keep[o][i] = (3 * o + 5 * i) % 7 > 1 ? 1.0 : 0.0;
                if (l.kind == LayerKind::TransposedLinear) keep = keep.t();
                if (l.isConv()) keep = w.dim() == 4 ? keep.view({rows, cols, 1, 1}) : keep.view({rows, cols, 1});
                params.push_back(l.param);
                tensors.push_back(w * keep);
            }
            auto plan = ForwardPlan::build(*m, {}, true, params);
            ASSERT_TRUE(plan.ok()) << name << " " << mode << ": " << plan.error().message;
            torch::NoGradGuard noGrad;
            auto got = plan.value().run({tensor(name + "/input")}, tensors).modelOutput.toTensor();
            auto expected = tensor(name + "/output");
            EXPECT_TRUE(torch::allclose(got, expected, 1e-5, 1e-6))
                << name << " " << mode << " max diff " << (got - expected).abs().max().item<double>();
        }
}
