// A language-model neuron's circuit: scored on its top examples (windows of several lengths, each
// length scored apart and summed), checked against scoring each length as its own input file, and
// on the hand-built detector of tests/data/text, whose circuit is known weight by weight.
#include <gtest/gtest.h>
#include <torch/script.h>

#include "engine/io/internal/tensor_io.h"
#include "engine/io/safetensors.h"
#include "engine/model/internal/script_modules.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/pruning.h"
#include "engine/text/corpus.h"
#include "engine/text/tokenizer.h"
#include "engine/text/neuron_circuit.h"
#include "engine/text/neuron_reader.h"
#include "engine/text/token_examples.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

// The hand-built detector of tests/data/text (make_text_fixtures.py): unit 0 of `detect` is 1 on
// "dog" right after "big" or "huge", 0 on "dog" elsewhere, -1 otherwise.
const std::string kText = std::string(CX_TEST_DATA) + "/text/";

Tokenizer fixtureTokenizer() {
    auto t = Tokenizer::readTokenizerJson(kText + "tokenizer.json");
    EXPECT_TRUE(t.ok());
    return t.take();
}

int64_t id(const Tokenizer& t, const std::string& word) { return t.idOf(word).value(); }

TokenCorpus fixtureCorpus(const Tokenizer& t) {
    auto text = readTextCorpus(kText + "corpus.txt");
    EXPECT_TRUE(text.ok());
    auto corpus = windowCorpus(text.value(), t, 64);  // one window per document
    EXPECT_TRUE(corpus.ok());
    return corpus.take();
}

}  // namespace

TEST(NeuronCircuit, ScoresOverSeveralLengthsEqualEachLengthScoredAsItsOwnFile) {
    const auto tokenizer = fixtureTokenizer();
    torch::manual_seed(5);
    const std::string path = cx::test::tempDir() + "/neuron_circuit_gpt.pt";
    scriptGpt("cx_test.NeuronCircuitGPT", {tokenizer.vocabSize(), 16, 16, 2, 4, true}).save(path);
    auto ws = Workspace::open(path);
    ASSERT_TRUE(ws.ok()) << ws.error().message;
    auto text = readTextCorpus(kText + "corpus.txt");
    ASSERT_TRUE(text.ok());
    auto corpus = windowCorpus(text.value(), tokenizer, 5);  // windows of 5 tokens and shorter tails
    ASSERT_TRUE(corpus.ok());
    JobContext job;
    const std::string layer = "block1.mlp.fc";
    const int64_t unit = 11;
    // Every window an example, so that the short tails are among them.
    const int64_t k = int64_t(corpus.value().windows.size());
    auto top = topTokenExamples(*ws.value(), nullptr, corpus.value(), layer, {unit}, k, job);
    ASSERT_TRUE(top.ok()) << top.error().message;
    const auto& examples = top.value().units.front();
    std::map<size_t, std::vector<int64_t>> byLength;
    for (const auto& e : examples.top) byLength[corpus.value().windows[size_t(e.window)].ids.size()].push_back(e.window);
    ASSERT_GE(byLength.size(), 2u) << "the test needs examples of several lengths";

    for (const Criterion criterion : {Criterion::ActGrad, Criterion::Snip}) {
        NeuronCircuitSpec spec;
        spec.layer = layer;
        spec.unit = unit;
        spec.criterion = criterion;
        spec.sparsity = 0.2;
        auto circuit = neuronCircuit(*ws.value(), corpus.value(), examples, spec, job);
        ASSERT_TRUE(circuit.ok()) << circuit.error().message;
        EXPECT_EQ(circuit.value().windows, int64_t(examples.top.size()));
        // Independently: each length as a token file scored by computeScores, the scores summed.
        std::map<int, torch::Tensor> expected;
        int group = 0;
        for (const auto& [length, windows] : byLength) {
            auto ids = torch::empty({int64_t(windows.size()), int64_t(length)}, torch::kInt64);
            for (size_t r = 0; r < windows.size(); ++r) ids[int64_t(r)].copy_(torch::tensor(corpus.value().windows[size_t(windows[r])].ids));
            const std::string file = cx::test::tempDir() + "/lengths" + std::to_string(group++) + ".safetensors";
            SafetensorsFile f;
            f.tensors["inputs"] = tensorToBlob(ids);
            ASSERT_TRUE(writeSafetensors(file, f).ok());
            ScoreSpec s;
            s.images = file;
            s.target = layer + ":" + std::to_string(unit);
            s.objective = "max";
            s.criterion = criterion;
            auto scores = computeScores(*ws.value(), s, job);
            ASSERT_TRUE(scores.ok()) << scores.error().message;
            for (const auto& [l, t] : scores.value()->data.scores.scores)
                expected[l] = expected.count(l) ? expected[l] + t : t.clone();
        }
        const auto& got = circuit.value().scores->data.scores.scores;
        ASSERT_EQ(got.size(), expected.size());
        double largest = 0.0;
        for (const auto& [l, t] : expected) {
            ASSERT_TRUE(got.count(l));
            EXPECT_TRUE(torch::allclose(got.at(l), t, 1e-5, 1e-7)) << nameOf(criterion) << " layer " << l;
            largest = std::max(largest, t.abs().max().item<double>());
        }
        EXPECT_GT(largest, 0.0);
        EXPECT_EQ(circuit.value().prune.kept, std::llround(0.2 * double(circuit.value().prune.relevant)));
        // The circuit's values at the model's anchors, read independently.
        auto reader = NeuronReader::open(*ws.value(), circuit.value().mask, layer, {unit});
        ASSERT_TRUE(reader.ok());
        ASSERT_EQ(circuit.value().onModelExamples.size(), examples.top.size());
        for (size_t i = 0; i < examples.top.size(); ++i) {
            const auto& e = examples.top[i];
            auto values = reader.value().unitValues({corpus.value().windows[size_t(e.window)].ids}, 0);
            ASSERT_TRUE(values.ok());
            EXPECT_DOUBLE_EQ(circuit.value().onModelExamples[i], values.value()[0][size_t(e.anchor)]);
        }
    }

    // The whole model as a "circuit": its examples and values are the model's.
    NeuronCircuitSpec all{layer, unit, Criterion::ActGrad, Granularity::Kernel, 1.0};
    auto whole = neuronCircuit(*ws.value(), corpus.value(), examples, all, job);
    ASSERT_TRUE(whole.ok()) << whole.error().message;
    for (size_t i = 0; i < examples.top.size(); ++i) {
        EXPECT_NEAR(whole.value().onModelExamples[i], examples.top[i].value, 1e-5);
        EXPECT_EQ(whole.value().circuitTop.top[i].window, examples.top[i].window);
    }
}

TEST(NeuronCircuit, TheDetectorsCircuitIsItsThreeWeights) {
    const auto tokenizer = fixtureTokenizer();
    const int64_t v = tokenizer.vocabSize();
    auto ws = Workspace::open(kText + "trigger_lm.pt");
    ASSERT_TRUE(ws.ok()) << ws.error().message;
    const auto corpus = fixtureCorpus(tokenizer);
    JobContext job;
    auto top = topTokenExamples(*ws.value(), nullptr, corpus, "detect", {0}, 3, job);
    ASSERT_TRUE(top.ok()) << top.error().message;
    const auto& examples = top.value().units.front();
    ASSERT_EQ(examples.top.size(), 3u);
    EXPECT_DOUBLE_EQ(examples.top[0].value, 1.0);  // "big dog"
    // Only the weights of "dog" and of "big" / "huge" before it carry any signal at the anchors:
    // keeping three of the row's 2v weights is the detector itself.
    NeuronCircuitSpec spec{"detect", 0, Criterion::ActGrad, Granularity::Kernel, 3.0 / double(2 * v)};
    auto circuit = neuronCircuit(*ws.value(), corpus, examples, spec, job);
    ASSERT_TRUE(circuit.ok()) << circuit.error().message;
    EXPECT_EQ(circuit.value().prune.relevant, 2 * v);
    ASSERT_EQ(circuit.value().prune.kept, 3);
    const int layer = ws.value()->model()->summary().indexOf("detect");
    const auto kept = circuit.value().mask->data.masks.at(layer);
    EXPECT_EQ(kept.sum().item<int64_t>(), 3);
    EXPECT_TRUE(kept[0][id(tokenizer, "dog")].item<bool>());
    EXPECT_TRUE(kept[0][v + id(tokenizer, "big")].item<bool>());
    EXPECT_TRUE(kept[0][v + id(tokenizer, "huge")].item<bool>());
    for (size_t i = 0; i < examples.top.size(); ++i) {
        EXPECT_DOUBLE_EQ(circuit.value().onModelExamples[i], examples.top[i].value);
        EXPECT_EQ(circuit.value().circuitTop.top[i].window, examples.top[i].window);
    }
    // With two weights one trigger word is lost: the circuit no longer fires on it.
    spec.sparsity = 1.0 / double(2 * v);
    auto one = neuronCircuit(*ws.value(), corpus, examples, spec, job);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(one.value().prune.kept, 1);
    EXPECT_LT(one.value().onModelExamples[0], 1.0);
}

TEST(NeuronCircuit, RefusesWhatItCannotComputeWithTheReason) {
    auto ws = Workspace::open(kText + "trigger_lm.pt");
    ASSERT_TRUE(ws.ok());
    const auto corpus = fixtureCorpus(fixtureTokenizer());
    JobContext job;
    auto top = topTokenExamples(*ws.value(), nullptr, corpus, "detect", {0}, 3, job);
    ASSERT_TRUE(top.ok());
    const auto& examples = top.value().units.front();
    auto refused = [&](NeuronCircuitSpec spec, const TokenUnitExamples& ex, const std::string& reason) {
        auto r = neuronCircuit(*ws.value(), corpus, ex, spec, job);
        ASSERT_FALSE(r.ok()) << reason;
        EXPECT_NE(r.error().message.find(reason), std::string::npos) << r.error().message;
    };
    refused({"detect", 0, Criterion::Force}, examples, "FORCE");
    refused({"detect", 0, Criterion::ActGrad, Granularity::Kernel, 0.0}, examples, "sparsity must be in (0, 1]");
    refused({"detect", 7}, examples, "unit");
    refused({"nothing", 0}, examples, "nothing");
    refused({"detect", 0}, TokenUnitExamples{0, {}}, "no examples");
    refused({"detect", 0}, TokenUnitExamples{0, {{99, 0, 1.0}}}, "not in the corpus");
    auto cancelled = std::make_shared<CancelToken>();
    cancelled->cancel();
    JobContext stopped(cancelled);
    auto r = neuronCircuit(*ws.value(), corpus, examples, {"detect", 0}, stopped);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled);
}
