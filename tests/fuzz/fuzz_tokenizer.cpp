// libFuzzer: the tokenizer readers (a user's tokenizer.json or vocab.txt) and encoding any bytes.
// The first byte picks what the rest is: 0 a tokenizer.json, 1 a vocab.txt, 2 text for GPT-2's
// byte-level BPE, 3 text for BERT's WordPiece (the trimmed test tokenizers). Never a crash; every
// id is in the vocabulary; byte-level BPE gives back the very bytes it was given.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/text/tokenizer.h"
#include "fuzz_util.h"

using cx::engine::Tokenizer;

namespace {

void check(const Tokenizer& t, const std::string& text) {
    const auto ids = t.encode(text);
    for (int64_t id : ids)
        if (id < 0 || id >= t.vocabSize()) std::abort();
    const std::string back = t.decode(ids);
    if (t.kind() == Tokenizer::Kind::ByteLevelBpe && back != text) std::abort();
}

const Tokenizer& fixture(const char* name) {
    static const Tokenizer gpt2 = Tokenizer::readTokenizerJson(std::string(CX_FUZZ_DATA) + "/tokenizers/gpt2_trimmed.tokenizer.json").take();
    static const Tokenizer bert = Tokenizer::readTokenizerJson(std::string(CX_FUZZ_DATA) + "/tokenizers/bert_trimmed.tokenizer.json").take();
    return std::string(name) == "gpt2" ? gpt2 : bert;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
    case 0: {
        auto t = Tokenizer::readTokenizerJson(writeFuzzInput(data + 1, size - 1, ".json"));
        if (t) check(t.value(), "Hello, world! It's 2024: caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x8E\x89");
        break;
    }
    case 1: {
        auto t = Tokenizer::readVocabTxt(writeFuzzInput(data + 1, size - 1, ".txt"), data[0] & 4);
        if (t) check(t.value(), "[CLS] Hello, world! [SEP] caf\xC3\xA9");
        break;
    }
    case 2: check(fixture("gpt2"), rest); break;
    default: check(fixture("bert"), rest); break;
    }
    return 0;
}
