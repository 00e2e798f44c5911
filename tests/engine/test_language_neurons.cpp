// Neurons of token models (seed 003): dataset examples over a corpus, minimal activating examples
// and local search, on hand-built models whose answers are known, and on a random GPT checked
// against a brute-force pass.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/script.h>

#include "engine/model/internal/script_modules.h"
#include "engine/model/workspace.h"
#include "engine/text/behaviour_graph.h"
#include "engine/text/corpus.h"
#include "engine/text/local_search.h"
#include "engine/text/mae.h"
#include "engine/text/token_examples.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

const char* kCorpus = "the cat sat on the mat .\n\na big dog barked at the red cat .\n\nhuge dogs and small dog ran .\n\n"
                      "the small cat saw a dog .\n";

Tokenizer corpusTokenizer() {
    auto t = Tokenizer::buildWordLevel(kCorpus, 100);
    EXPECT_TRUE(t.ok());
    return t.take();
}

int64_t id(const Tokenizer& t, const std::string& word) { return t.idOf(word).value(); }

// A token model whose `detect` unit 0 is 1 on "dog" right after "big" or "huge", 0 on "dog"
// elsewhere or on "big"/"huge" before anything else, -1 otherwise: one-hot tokens, the previous
// token's one-hot beside them, one linear layer. Unit 1 is the token "cat" alone.
std::string triggerModel(const Tokenizer& t) {
    const int64_t v = t.vocabSize();
    torch::jit::Module net("cx_test.TriggerLM");
    net.register_parameter("onehot", torch::eye(v), false);
    torch::jit::Module detect("cx_test.Detect");
    auto w = torch::zeros({2, 2 * v});
    w[0][id(t, "dog")] = 1.0;
    w[0][v + id(t, "big")] = 1.0;
    w[0][v + id(t, "huge")] = 1.0;
    w[1][id(t, "cat")] = 1.0;
    detect.register_parameter("weight", w, false);
    detect.register_parameter("bias", torch::tensor({-1.0f, 0.0f}), false);
    detect.define("def forward(self, x):\n    return torch.linear(x, self.weight, self.bias)\n");
    net.register_module("detect", detect);
    net.define(R"(
def forward(self, ids):
    x = torch.embedding(self.onehot, ids)
    prev = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], 1)
    return self.detect.forward(torch.cat([x, prev], 2))
)");
    const std::string path = cx::test::tempDir() + "/trigger.pt";
    net.save(path);
    return path;
}

// A masked "language model" that ranks the vocabulary the same way everywhere: huge, red, cat,
// then the rest in id order.
std::string fixedMaskedModel(const Tokenizer& t) {
    const int64_t v = t.vocabSize();
    auto prefs = -torch::arange(v, torch::kFloat32) / double(v);
    prefs[id(t, "huge")] = 3.0;
    prefs[id(t, "red")] = 2.0;
    prefs[id(t, "cat")] = 1.0;
    torch::jit::Module net("cx_test.FixedMLM");
    net.register_parameter("prefs", prefs, false);
    net.define(R"(
def forward(self, ids):
    return self.prefs.expand([ids.size(0), ids.size(1), self.prefs.size(0)])
)");
    const std::string path = cx::test::tempDir() + "/fixed_mlm.pt";
    net.save(path);
    return path;
}

std::string words(const Tokenizer& t, const std::vector<int64_t>& ids) {
    std::string out;
    for (int64_t i : ids) out += (out.empty() ? "" : " ") + t.tokenText(i);
    return out;
}

struct Trigger {
    Tokenizer tokenizer = corpusTokenizer();
    std::shared_ptr<Workspace> workspace = Workspace::open(triggerModel(tokenizer)).take();
    NeuronReader reader = NeuronReader::open(*workspace, nullptr, "detect", {0}).take();
    // "[BOS] a big dog barked at the red cat . [EOS]" and its anchor "dog".
    std::vector<int64_t> example = framed(framingOf(tokenizer), tokenizer.encode("a big dog barked at the red cat ."));
    int64_t anchor = 3;
};

}  // namespace

TEST(LanguageNeurons, TheMinimalActivatingExampleIsTheContextAndTheToken) {
    Trigger f;
    ASSERT_EQ(f.tokenizer.tokenText(f.example[size_t(f.anchor)]), "dog");
    auto mae = minimalExample(f.reader, 0, f.tokenizer, f.example, f.anchor, MaeOptions{});
    ASSERT_TRUE(mae.ok()) << mae.error().message;
    const auto& m = mae.value();
    EXPECT_DOUBLE_EQ(m.original, 1.0);
    EXPECT_EQ(words(f.tokenizer, m.ids()), "big dog");
    EXPECT_DOUBLE_EQ(m.value, 1.0);
    EXPECT_DOUBLE_EQ(m.ratio, 1.0);
    EXPECT_TRUE(m.fromSentence);
    // The window keeps a token either side of the anchor whatever the neuron says.
    auto windowed = minimalExample(f.reader, 0, f.tokenizer, f.example, f.anchor, MaeOptions{0.6, 1});
    ASSERT_TRUE(windowed.ok());
    EXPECT_EQ(words(f.tokenizer, windowed.value().ids()), "big dog barked");
    // Allowing the whole drop, "dog" alone (value 0) passes; at a drop of 0.99 it does not.
    auto loose = minimalExample(f.reader, 0, f.tokenizer, f.example, f.anchor, MaeOptions{1.0, 0});
    ASSERT_TRUE(loose.ok());
    EXPECT_EQ(words(f.tokenizer, loose.value().ids()), "dog");
    EXPECT_DOUBLE_EQ(loose.value().value, 0.0);
    auto strict = minimalExample(f.reader, 0, f.tokenizer, f.example, f.anchor, MaeOptions{0.99, 0});
    ASSERT_TRUE(strict.ok());
    EXPECT_EQ(words(f.tokenizer, strict.value().ids()), "big dog");
    // The sentence, not the whole example: what precedes the previous "." is never kept.
    auto two = framed(framingOf(f.tokenizer), f.tokenizer.encode("the cat sat . big dog ."));
    auto second = minimalExample(f.reader, 0, f.tokenizer, two, 6, MaeOptions{1.0, 5});
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(words(f.tokenizer, second.value().ids()), "big dog .");
    EXPECT_FALSE(minimalExample(f.reader, 0, f.tokenizer, f.example, 99, MaeOptions{}).ok());
    EXPECT_FALSE(minimalExample(f.reader, 0, f.tokenizer, f.example, 3, MaeOptions{1.5, 0}).ok());
}

TEST(LanguageNeurons, LocalSearchKeepsTheTriggerAsPositivesAndLosesItAsNegatives) {
    Trigger f;
    auto mae = minimalExample(f.reader, 0, f.tokenizer, f.example, f.anchor, MaeOptions{});
    ASSERT_TRUE(mae.ok());
    auto mlm = MaskedLanguageModel::load(fixedMaskedModel(f.tokenizer), f.tokenizer);
    ASSERT_TRUE(mlm.ok()) << mlm.error().message;
    JobContext job;
    auto r = localSearch(f.reader, 0, mlm.value(), f.tokenizer, mae.value(), LocalSearchOptions{0.4, 0.7, 3}, job);
    ASSERT_TRUE(r.ok()) << r.error().message;
    std::vector<std::string> positives, negatives;
    for (const auto& s : r.value().substitutes)
        (s.kind == SubstituteKind::Positive ? positives : negatives).push_back(words(f.tokenizer, s.ids));
    EXPECT_EQ(positives, std::vector<std::string>({"huge dog"}));
    EXPECT_EQ(negatives, std::vector<std::string>({"red dog", "cat dog", "big huge", "big red", "big cat"}));
    for (const auto& s : r.value().substitutes) EXPECT_NE(s.replacement, s.original);
    EXPECT_EQ(r.value().varied, std::vector<int64_t>({0, 1}));
    // The behaviour graph: "dog" fires after "big", which "huge" may replace; nothing else.
    const auto graph = buildBehaviourGraph("detect:0", f.tokenizer, {r.value()});
    ASSERT_EQ(graph.nodes.size(), 2u);
    EXPECT_EQ(graph.nodes[0].token, "dog");
    EXPECT_EQ(graph.nodes[0].role, BehaviourRole::Activating);
    EXPECT_TRUE(graph.nodes[0].alternatives.empty());
    EXPECT_DOUBLE_EQ(graph.nodes[0].value, 1.0);
    EXPECT_EQ(graph.nodes[1].token, "big");
    EXPECT_EQ(graph.nodes[1].role, BehaviourRole::Needed);
    EXPECT_EQ(graph.nodes[1].alternatives, std::vector<std::string>({"huge"}));
    EXPECT_EQ(graph.nodes[1].next, 0);
    EXPECT_NEAR(graph.nodes[1].value, 2.0 / 3.0, 1e-12);  // two of its three substitutes lose it all
    const std::string dot = behaviourDot(graph);
    EXPECT_NE(dot.find("n1 -> n0"), std::string::npos) << dot;
    EXPECT_NE(dot.find("big | huge"), std::string::npos) << dot;
    const std::string svg = cx::test::tempDir() + "/graph.svg";
    ASSERT_TRUE(writeBehaviourGraph(graph, svg).ok());
    std::ifstream in(svg);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("<svg"), std::string::npos);
    EXPECT_NE(text.find("big | huge"), std::string::npos);
    EXPECT_FALSE(writeBehaviourGraph(graph, cx::test::tempDir() + "/graph.txt").ok());
    // A stop word is left as it is: "the big dog" varies only "big" and "dog".
    MinimalExample withThe;
    withThe.example = f.tokenizer.encode("the big dog");
    withThe.anchor = 2;
    withThe.end = 3;
    auto s = localSearch(f.reader, 0, mlm.value(), f.tokenizer, withThe, LocalSearchOptions{0.4, 0.7, 3}, job);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s.value().skipped, std::vector<int64_t>({0}));
    EXPECT_EQ(s.value().varied, std::vector<int64_t>({1, 2}));
    EXPECT_FALSE(localSearch(f.reader, 0, mlm.value(), f.tokenizer, mae.value(), LocalSearchOptions{0.8, 0.7, 3}, job).ok());
}

TEST(LanguageNeurons, TopExamplesOfAWholeLayerEqualABruteForcePass) {
    // A random 2-layer GPT over the test corpus, read in windows of 5 tokens (so that windows of
    // several lengths are batched apart).
    auto tokenizer = corpusTokenizer();
    torch::manual_seed(3);
    auto net = scriptGpt("cx_test.SmallGPT", {tokenizer.vocabSize(), 16, 16, 2, 4, true});
    const std::string path = cx::test::tempDir() + "/small_gpt.pt";
    net.save(path);
    auto ws = Workspace::open(path);
    ASSERT_TRUE(ws.ok()) << ws.error().message;
    TextCorpus text;
    for (int i = 0; i < 6; ++i) text.documents.push_back(std::string(kCorpus).substr(size_t(i) * 7, 40 + size_t(i) * 11));
    auto corpus = windowCorpus(text, tokenizer, 5);
    ASSERT_TRUE(corpus.ok());
    JobContext job;
    const int64_t k = 4;
    auto top = topTokenExamples(*ws.value(), nullptr, corpus.value(), "block1.mlp.fc", {}, k, job);
    ASSERT_TRUE(top.ok()) << top.error().message;
    ASSERT_EQ(top.value().units.size(), 64u);
    EXPECT_EQ(top.value().tokens, corpus.value().tokens);
    auto reader = NeuronReader::open(*ws.value(), nullptr, "block1.mlp.fc");
    ASSERT_TRUE(reader.ok());
    for (size_t u = 0; u < 64; u += 7) {
        std::vector<std::vector<int64_t>> windows;
        for (const auto& w : corpus.value().windows) windows.push_back(w.ids);
        auto values = reader.value().unitValues(windows, u);
        ASSERT_TRUE(values.ok());
        std::vector<std::tuple<double, int64_t, int64_t>> all;  // -value, window, anchor
        for (size_t w = 0; w < windows.size(); ++w) {
            const auto& v = values.value()[w];
            const auto best = std::max_element(v.begin(), v.end()) - v.begin();
            all.push_back({-v[size_t(best)], int64_t(w), best});
        }
        std::sort(all.begin(), all.end());
        const auto& got = top.value().units[u].top;
        ASSERT_EQ(got.size(), size_t(k));
        for (size_t r = 0; r < got.size(); ++r) {
            EXPECT_EQ(got[r].window, std::get<1>(all[r])) << "unit " << u << " rank " << r;
            EXPECT_EQ(got[r].anchor, std::get<2>(all[r]));
            EXPECT_NEAR(got[r].value, -std::get<0>(all[r]), 1e-5);
        }
    }
    EXPECT_FALSE(topTokenExamples(*ws.value(), nullptr, corpus.value(), "block1.mlp.fc", {64}, k, job).ok());
    EXPECT_FALSE(NeuronReader::open(*ws.value(), nullptr, "ln_f").ok());
}

TEST(LanguageNeurons, ACorpusIsReadAsFortunesOrParagraphs) {
    const std::string dir = cx::test::tempDir() + "/corpus";
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/a") << "first fortune\nover two lines\n%\nsecond\n%\n";
    std::ofstream(dir + "/a.dat") << "index";
    std::ofstream(dir + "/b.txt") << "one paragraph\n\n\nanother\n";
    auto corpus = readTextCorpus(dir);
    ASSERT_TRUE(corpus.ok()) << corpus.error().message;
    EXPECT_EQ(corpus.value().documents, std::vector<std::string>({"first fortune\nover two lines", "second", "one paragraph", "another"}));
    EXPECT_EQ(corpus.value().files.size(), 2u);
    std::ofstream(dir + "/c") << std::string("bad\0byte", 8);
    auto bad = readTextCorpus(dir);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("/c is not UTF-8 text"), std::string::npos) << bad.error().message;
    EXPECT_FALSE(readTextCorpus(dir + "/none").ok());
    auto tokenizer = corpusTokenizer();
    TextCorpus two{{"big dog . the cat", "dog"}, {}};
    auto windows = windowCorpus(two, tokenizer, 3);
    ASSERT_TRUE(windows.ok());
    // [BOS] big dog | . the cat | [EOS] ; [BOS] dog [EOS]
    ASSERT_EQ(windows.value().windows.size(), 4u);
    EXPECT_EQ(windows.value().windows[1].offset, 3);
    EXPECT_EQ(windows.value().tokens, 10);
    EXPECT_TRUE(endsSentence(tokenizer, id(tokenizer, ".")));
    EXPECT_FALSE(endsSentence(tokenizer, id(tokenizer, "dog")));
    EXPECT_FALSE(endsSentence(tokenizer, id(tokenizer, "[UNK]")));
}
