// `cx tokenize` end to end on the trimmed published tokenizers (tests/data/tokenizers).
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_run.h"

// `cx tokenize`: the three kinds of tokenizer file give the published ids; refusals exit 2.
TEST(CliTokenize, PublishedTokenizersAndRefusals) {
    const std::string dir = std::string(CX_TEST_DATA) + "/tokenizers/";
    auto gpt2 = cxtest::runCx("tokenize " + dir + "gpt2_trimmed.tokenizer.json --text 'Hello world' --json");
    ASSERT_EQ(gpt2.code, 0) << gpt2.err;
    auto j = nlohmann::json::parse(gpt2.out);
    EXPECT_EQ(j["ids"], nlohmann::json({15496, 995}));  // GPT-2's "Hello", " world"
    EXPECT_EQ(j["decoded"], "Hello world");
    auto pair = cxtest::runCx("tokenize " + dir + "gpt2_trimmed.encoder.json --merges " + dir + "gpt2_trimmed.vocab.bpe --text 'Hello world' --json");
    ASSERT_EQ(pair.code, 0) << pair.err;
    EXPECT_EQ(nlohmann::json::parse(pair.out)["ids"], j["ids"]);
    auto bert = cxtest::runCx("tokenize " + dir + "bert_trimmed.vocab.txt --text 'I like strawberries'");
    ASSERT_EQ(bert.code, 0) << bert.err;
    EXPECT_NE(bert.out.find("##berries"), std::string::npos) << bert.out;
    for (const auto& [args, reason] : std::vector<std::pair<std::string, std::string>>{
             {dir + "gpt2_trimmed.tokenizer.json", "needs --text"},
             {dir + "gpt2_trimmed.tokenizer.json --cased --text x", "--cased goes with a vocab.txt"},
             {dir + "gpt2_reference.json --text x", "has no tokenizer model"}}) {
        auto bad = cxtest::runCx("tokenize " + args);
        EXPECT_EQ(bad.code, 2) << args;
        EXPECT_NE(bad.err.find(reason), std::string::npos) << args << ": " << bad.err;
    }
}
