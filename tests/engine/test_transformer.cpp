// The demo transformer and attention heads: the arithmetic task data, the model the engine
// builds (layer table, detected heads), head masks against hand-built slices, shared head
// logits, per-head overlap, and the shipped model's held-out accuracy.
#include <filesystem>

#include <gtest/gtest.h>
#include <torch/script.h>

#include "engine/data/internal/arithmetic_data.h"
#include "engine/demo/demo_transformer.h"
#include "engine/masks/internal/ablation.h"
#include "engine/masks/internal/mask_training.h"
#include "engine/masks/internal/overlap.h"
#include "engine/masks/internal/task_loss.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/heads.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

// A small demo transformer (width 16, one training step): the real builder, quickly.
std::shared_ptr<Model> smallTransformer() {
    static std::string path;
    if (path.empty()) {
        path = cx::test::tempDir() + "/small_gpt.pt";
        DemoTransformerOptions o;
        o.out = path;
        o.steps = 1;
        o.width = 16;
        JobContext job;
        auto r = trainDemoTransformer(o, job);
        EXPECT_TRUE(r.ok()) << r.error().message;
    }
    return Model::load(path).take();
}

LayerInfo linearInfo(const std::string& name, int64_t in, int64_t out) {
    LayerInfo l;
    l.name = name;
    l.param = name + ".weight";
    l.kind = LayerKind::Linear;
    l.inChannels = in;
    l.outChannels = out;
    return l;
}

}  // namespace

TEST(Arithmetic, TokensTargetsAndSplit) {
    // 37 * 45 = 1665 -> 65: the answer's ones digit first.
    EXPECT_EQ(arithmeticTokens(ArithmeticOp::Multiplication, 37, 45), (std::vector<int64_t>{3, 7, kTokenTimes, 4, 5, kTokenEquals, 5}));
    EXPECT_EQ(arithmeticAnswer(ArithmeticOp::Addition, 58, 67), 25);
    for (ArithmeticOp op : {ArithmeticOp::Addition, ArithmeticOp::Multiplication}) {
        auto train = arithmeticTask(op, ArithmeticSplit::Train);
        auto held = arithmeticTask(op, ArithmeticSplit::HeldOut);
        EXPECT_EQ(train.inputs.size(0) + held.inputs.size(0), 10000);
        EXPECT_NEAR(double(held.inputs.size(0)) / 10000.0, 0.1, 0.01);
        // Disjoint: no held-out problem appears in training.
        auto key = [](const torch::Tensor& x) { return (x.select(1, 0) * 1000 + x.select(1, 1) * 100 + x.select(1, 3) * 10 + x.select(1, 4)); };
        EXPECT_FALSE(torch::isin(key(held.inputs), key(train.inputs)).any().item<bool>());
        // Targets: exactly the two answer positions, and they spell the answer.
        EXPECT_TRUE(train.targets.ne(kIgnoredTarget).sum(1).eq(2).all().item<bool>());
        for (int64_t i = 0; i < held.inputs.size(0); i += 97) {
            auto row = held.inputs[i];
            const int a = int(row[0].item<int64_t>() * 10 + row[1].item<int64_t>());
            const int b = int(row[3].item<int64_t>() * 10 + row[4].item<int64_t>());
            const int r = arithmeticAnswer(op, a, b);
            EXPECT_EQ(held.targets[i][5].item<int64_t>(), r % 10);
            EXPECT_EQ(held.targets[i][6].item<int64_t>(), r / 10);
            EXPECT_EQ(row[6].item<int64_t>(), r % 10);  // teacher forcing
        }
    }
}

TEST(TaskLoss, SequenceLossIgnoresUnpredictedPositionsAndAccuracyNeedsEveryPosition) {
    torch::manual_seed(2);
    auto logits = torch::randn({3, 4, 5});
    auto targets = torch::full({3, 4}, kIgnoredTarget, torch::kInt64);
    targets.index_put_({torch::indexing::Slice(), 2}, torch::tensor({1, 2, 3}));
    targets.index_put_({torch::indexing::Slice(), 3}, logits.select(1, 3).argmax(-1));
    auto logp = torch::log_softmax(logits, -1);
    double manual = 0;
    for (int n = 0; n < 3; ++n)
        for (int t : {2, 3}) manual -= logp[n][t][targets[n][t].item<int64_t>()].item<double>();
    EXPECT_NEAR(taskLoss(logits, targets, true).item<double>(), manual, 1e-5);
    auto right = exactCorrect(logits, targets);
    for (int n = 0; n < 3; ++n)
        EXPECT_EQ(right[n].item<bool>(), logits[n][2].argmax().item<int64_t>() == targets[n][2].item<int64_t>());
}

TEST(DemoTransformer, LayerTableAndDetectedHeads) {
    auto m = smallTransformer();
    const auto& layers = m->summary().layers;
    ASSERT_EQ(layers.size(), 13u);  // 2 x (q, k, v, o, fc, proj) + head
    for (const auto& l : layers) {
        const bool attention = l.name.find(".attn.") != std::string::npos;
        EXPECT_EQ(l.heads, attention ? 4 : 0) << l.name;
        if (attention) EXPECT_EQ(l.attention, l.name.substr(0, l.name.rfind('.')));
    }
    EXPECT_EQ(*headRole(layers[0], 4), HeadRole::Split);
    EXPECT_EQ(*headRole(layers[3], 4), HeadRole::Merge);  // block0.attn.o
    // The masked forward with every head on is the model, bit for bit.
    auto x = arithmeticTask(ArithmeticOp::Addition, ArithmeticSplit::HeldOut).inputs.narrow(0, 0, 32);
    std::map<int, torch::Tensor> ones;
    for (int l = 0; l < 8; ++l)
        if (layers[size_t(l)].heads) ones[l] = torch::ones({4}, torch::kBool);
    auto w = maskedWeights(*m, ones, {Granularity::Head, false});
    auto plan = ForwardPlan::build(*m, {}, true, w.params).take();
    torch::NoGradGuard ng;
    EXPECT_TRUE(torch::equal(plan.run({x}, w.tensors).modelOutput.toTensor(), m->impl().module.forward({x}).toTensor()));
}

TEST(Heads, HeadMasksCoverExactlyTheHeadsSlices) {
    const auto head = torch::tensor({1.0f, 0.0f, 1.0f, 1.0f});  // head 1 removed, 4 heads of width 3
    auto split = headMaskForWeight(linearInfo("attn.q", 12, 12), head);
    auto packed = headMaskForWeight(linearInfo("attn.c_attn", 12, 36), head);
    auto merge = headMaskForWeight(linearInfo("attn.o", 12, 12), head);
    auto expectRows = torch::ones({12});
    expectRows.narrow(0, 3, 3).zero_();
    EXPECT_TRUE(torch::equal(split.flatten(), expectRows));
    EXPECT_EQ(split.sizes(), (std::vector<int64_t>{12, 1}));
    EXPECT_TRUE(torch::equal(packed.flatten(), torch::cat({expectRows, expectRows, expectRows})));
    EXPECT_EQ(merge.sizes(), (std::vector<int64_t>{1, 12}));
    EXPECT_TRUE(torch::equal(merge.flatten(), expectRows));
    // Biases: q/k/v entries follow their head; the output projection's bias belongs to none.
    auto info = linearInfo("attn.o", 12, 12);
    info.biasParam = "attn.o.bias";
    EXPECT_TRUE(torch::equal(headMaskForBias(info, head), torch::ones({12})));
    // A GPT-2 Conv1D (transposed storage) gets the transposed mask.
    auto t = linearInfo("attn.c_attn", 12, 36);
    t.kind = LayerKind::TransposedLinear;
    EXPECT_EQ(headMaskForWeight(t, head).sizes(), (std::vector<int64_t>{1, 36}));
    EXPECT_FALSE(headRole(linearInfo("attn.q", 12, 10), 4).has_value());
}

TEST(Heads, BlockLayersShareOneLogitPerHeadAndRemovingAHeadEqualsZeroingItsSlices) {
    auto m = smallTransformer();
    MaskTrainOptions o;
    o.granularity = Granularity::Head;
    o.layers = {0, 1, 2, 3, 6, 7, 8, 9};
    o.initValue = 3.0;
    MaskSet set(*m, o);
    EXPECT_EQ(set.parameters().size(), 2u);  // one tensor per attention block
    EXPECT_EQ(set.totalUnits(), 8);
    EXPECT_NEAR(set.l0(1.0).item<double>(), 8.0 * 1.0 / (1.0 + std::exp(-3.0)), 1e-5);
    // Head 2 of block 0 removed through the head mask == its slices zeroed by hand.
    std::map<int, torch::Tensor> masks = set.hardMasks();
    for (int l : {0, 1, 2, 3}) masks[l] = torch::tensor({true, true, false, true});
    auto w = maskedWeights(*m, masks, {Granularity::Head, false});
    auto net = m->impl().module.clone();
    torch::NoGradGuard ng;
    for (const char* p : {"q", "k", "v"}) {
        net.attr(std::string("block0")).toModule().attr("attn").toModule().attr(p).toModule().attr("weight").toTensor().narrow(0, 8, 4).zero_();
        net.attr(std::string("block0")).toModule().attr("attn").toModule().attr(p).toModule().attr("bias").toTensor().narrow(0, 8, 4).zero_();
    }
    net.attr(std::string("block0")).toModule().attr("attn").toModule().attr("o").toModule().attr("weight").toTensor().narrow(1, 8, 4).zero_();
    auto x = arithmeticTask(ArithmeticOp::Multiplication, ArithmeticSplit::HeldOut).inputs.narrow(0, 0, 16);
    auto plan = ForwardPlan::build(*m, {}, true, w.params).take();
    EXPECT_TRUE(torch::allclose(plan.run({x}, w.tensors).modelOutput.toTensor(), net.forward({x}).toTensor(), 1e-5, 1e-6));
}

TEST(Heads, OverlapPerHeadAndPerMlp) {
    auto m = smallTransformer();
    // Weight masks on block 0: A keeps heads 0-1 of q (rows 0..7) and all of the MLP's fc;
    // B keeps heads 1-2 of q (rows 4..11) and none of fc.
    std::map<int, torch::Tensor> a, b;
    a[0] = torch::zeros({16, 16}, torch::kBool);
    a[0].narrow(0, 0, 8).fill_(true);
    b[0] = torch::zeros({16, 16}, torch::kBool);
    b[0].narrow(0, 4, 8).fill_(true);
    a[4] = torch::ones({64, 16}, torch::kBool);
    b[4] = torch::zeros({64, 16}, torch::kBool);
    auto rows = maskOverlapBy(*m, a, b, Granularity::Weight, OverlapBy::Block);
    std::map<std::string, OverlapRow> byName;
    for (const auto& r : rows) byName[r.name] = r;
    ASSERT_EQ(rows.size(), 5u);  // 4 heads + block0.mlp
    EXPECT_EQ(byName["block0.attn head 0"].onlyA, 64);
    EXPECT_EQ(byName["block0.attn head 1"].both, 64);
    EXPECT_EQ(byName["block0.attn head 2"].onlyB, 64);
    EXPECT_EQ(byName["block0.attn head 3"].neither, 64);
    EXPECT_EQ(byName["block0.mlp"].onlyA, 1024);
    EXPECT_DOUBLE_EQ(byName["block0.attn head 1"].iou(), 1.0);
    // Head masks count each head once per block, not once per projection.
    std::map<int, torch::Tensor> ha, hb;
    for (int l : {0, 1, 2, 3}) {
        ha[l] = torch::tensor({true, true, false, false});
        hb[l] = torch::tensor({true, false, true, false});
    }
    auto headRows = maskOverlapBy(*m, ha, hb, Granularity::Head, OverlapBy::Block);
    ASSERT_EQ(headRows.size(), 4u);
    EXPECT_EQ(headRows[0].both + headRows[1].onlyA + headRows[2].onlyB + headRows[3].neither, 4);
}

TEST(Heads, RandomlySampledDrawsOneHeadSetPerBlock) {
    auto m = smallTransformer();
    std::map<int, torch::Tensor> masks;
    for (int l : {0, 1, 2, 3}) masks[l] = torch::tensor({true, false, false, false});
    auto gen = at::detail::createCPUGenerator(5);
    for (int k = 0; k < 5; ++k) {
        auto w = ablatedWeights(*m, masks, Ablation::RandomlySampled, gen, {Granularity::Head, false});
        // The removed head (rows of q zeroed) is the same in k and v, never head 0.
        auto zeroRows = [&](size_t i) { return w.tensors[i].abs().sum(1).eq(0); };
        ASSERT_EQ(w.params[0], "block0.attn.q.weight");
        EXPECT_TRUE(torch::equal(zeroRows(0), zeroRows(2)));  // q and k (params interleave bias)
        EXPECT_EQ(zeroRows(0).sum().item<int64_t>(), 4);
        EXPECT_FALSE(zeroRows(0).narrow(0, 0, 4).any().item<bool>());
    }
}

TEST(DemoTransformer, ShippedModelAnswersHeldOutProblems) {
    const std::string path = std::string(CX_TEST_DATA) + "/../../resources/demo/arithmetic_gpt.pt";
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    for (ArithmeticOp op : {ArithmeticOp::Addition, ArithmeticOp::Multiplication}) {
        auto acc = arithmeticAccuracy(path, op);
        ASSERT_TRUE(acc.ok()) << acc.error().message;
        EXPECT_GE(acc.value(), 0.95) << arithmeticOpName(op);
    }
}

TEST(Heads, MultiheadAttentionHeadsAreDetectedAndMaskedAsTheirSlices) {
    auto m = Model::load(cx::test::modelPath("mha")).take();
    const auto& s = m->summary();
    const int inProj = s.indexOf("attn"), outProj = s.indexOf("attn.out_proj");
    ASSERT_GE(inProj, 0);
    ASSERT_GE(outProj, 0);
    EXPECT_EQ(s.layers[size_t(inProj)].heads, 2);
    EXPECT_EQ(*headRole(s.layers[size_t(inProj)], 2), HeadRole::Packed);
    EXPECT_EQ(*headRole(s.layers[size_t(outProj)], 2), HeadRole::Merge);
    // The fused fast path is folded away: out_proj is one layer, not one per run-time branch.
    EXPECT_EQ(s.indexOf("attn.out_proj#2"), -1);
    // Head 0 removed: rows 0..3, 8..11 and 16..19 of in_proj (and their bias), columns 0..3 of out_proj.
    std::map<int, torch::Tensor> masks = {{inProj, torch::tensor({false, true})}, {outProj, torch::tensor({false, true})}};
    auto w = maskedWeights(*m, masks, {Granularity::Head, false});
    auto net = m->impl().module.clone();
    torch::NoGradGuard ng;
    auto attn = net.attr("attn").toModule();
    for (int64_t third = 0; third < 3; ++third) {
        attn.attr("in_proj_weight").toTensor().narrow(0, third * 8, 4).zero_();
        attn.attr("in_proj_bias").toTensor().narrow(0, third * 8, 4).zero_();
    }
    attn.attr("out_proj").toModule().attr("weight").toTensor().narrow(1, 0, 4).zero_();
    torch::manual_seed(8);
    auto x = torch::randn({3, 5, 8});
    auto plan = ForwardPlan::build(*m, {}, true, w.params).take();
    EXPECT_TRUE(torch::allclose(plan.run({x}, w.tensors).modelOutput.toTensor(), net.forward({x}).toTensor(), 1e-5, 1e-6));
}
