// The text demo: the shipped causal and masked language models reach the figures the README
// states on the held-out fortunes, and training writes a model and tokenizer that read back (or,
// cancelled, nothing).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "engine/demo/demo_language.h"
#include "engine/text/corpus.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

const std::string kDemo = std::string(CX_TEST_DATA) + "/../../resources/demo/";

}  // namespace

TEST(DemoLanguage, TheShippedModelsReachTheirStatedFigures) {
    ASSERT_TRUE(std::filesystem::exists(demoCorpusPath())) << "Debian's fortunes package (packaging/deps.txt) is not installed";
    auto lm = heldOutPerplexity(kDemo + "fortunes_lm.pt", kDemo + "tokenizer.json", "");
    ASSERT_TRUE(lm.ok()) << lm.error().message;
    EXPECT_NEAR(lm.value().heldOut, 67.25, 0.05);  // README: held-out perplexity 67.25
    EXPECT_EQ(lm.value().heldOutTokens, 58206);
    auto mlm = heldOutMaskedAccuracy(kDemo + "fortunes_mlm.pt", kDemo + "tokenizer.json", "");
    ASSERT_TRUE(mlm.ok()) << mlm.error().message;
    EXPECT_NEAR(mlm.value().heldOut, 0.0810, 0.0005);  // README: the masked model's top-1 accuracy
}

TEST(DemoLanguage, TrainingWritesAModelAndTokenizerOrNothingWhenCancelled) {
    const std::string dir = cx::test::tempDir();
    {
        std::ofstream corpus(dir + "/corpus.txt");
        for (int i = 0; i < 30; ++i) corpus << "the cat number " << i % 7 << " sat on the mat .\n%\n";
    }
    DemoLanguageOptions o;
    o.corpus = dir + "/corpus.txt";
    o.out = dir + "/lm.pt";
    o.tokenizer = dir + "/tokenizer.json";
    o.width = 16;
    o.layers = 1;
    o.context = 8;
    o.steps = 3;
    o.batchSize = 4;
    JobContext job;
    auto report = trainDemoLanguageModel(o, job);
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_TRUE(report.value().tokenizerBuilt);
    EXPECT_GT(report.value().heldOut, 1.0);
    auto again = heldOutPerplexity(o.out, o.tokenizer, o.corpus, o.context);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_NEAR(again.value().heldOut, report.value().heldOut, 1e-4 * report.value().heldOut);
    // The masked model reads the tokenizer now there; cancelled, it writes nothing.
    o.kind = LanguageModelKind::Masked;
    o.out = dir + "/mlm.pt";
    JobContext cancelled;
    cancelled.token()->cancel();
    auto stopped = trainDemoLanguageModel(o, cancelled);
    ASSERT_FALSE(stopped.ok());
    EXPECT_FALSE(std::filesystem::exists(o.out));
    o.corpus = dir + "/missing";
    EXPECT_FALSE(trainDemoLanguageModel(o, job).ok());
}
