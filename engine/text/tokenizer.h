#pragma once
// Tokenizers of published language models, read from their own files, so that a user's
// TorchScript export of a GPT-2- or BERT-style model reads the same ids it was trained on:
// GPT-2's byte-level BPE (HuggingFace tokenizer.json with a BPE model, or GPT-2's encoder.json +
// vocab.bpe) and BERT's WordPiece (tokenizer.json with a WordPiece model, or BERT's vocab.txt);
// and the project's own word-level tokenizer, built from a corpus and kept as a tokenizer.json.
// Anything a file asks for that is not followed exactly is refused with the reason.
// Plain C++ (ICU for the Unicode classes): the GUI includes it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace cx::engine {

class Tokenizer {
public:
    enum class Kind { ByteLevelBpe, WordPiece, WordLevel };

    /// A HuggingFace tokenizer.json: model "BPE" with a ByteLevel pre-tokenizer, or "WordPiece"
    /// with BERT's normalizer and pre-tokenizer.
    static Result<Tokenizer> readTokenizerJson(const std::string& path);
    /// BERT's vocab.txt (a token per line), with BERT's basic tokenisation: lower case and
    /// accents stripped when `lowercase` (bert-base-uncased; a cased model's file says false).
    static Result<Tokenizer> readVocabTxt(const std::string& path, bool lowercase = true);
    /// GPT-2's own pair of files: encoder.json (token -> id) and vocab.bpe (the merges, by rank).
    static Result<Tokenizer> readGpt2(const std::string& encoderJson, const std::string& merges);
    /// The project's own word-level tokenizer of a corpus: lower case, words (\w+) and runs of
    /// other marks ([^\w\s]+) as HuggingFace's Whitespace pre-tokenizer splits them; the special
    /// tokens [PAD] [UNK] [MASK] [BOS] [EOS] first (ids 0-4), then the `vocabSize` - 5 most
    /// frequent words, most frequent first (ties in byte order); every other word is [UNK].
    static Result<Tokenizer> buildWordLevel(const std::string& corpus, int64_t vocabSize);
    /// Writes a word-level tokenizer as a HuggingFace tokenizer.json (model WordLevel, Lowercase
    /// normalizer, Whitespace pre-tokenizer), which readTokenizerJson reads back; atomically.
    Status writeTokenizerJson(const std::string& path) const;

    Kind kind() const;
    int64_t vocabSize() const;
    /// The ids of `text`, no special tokens added.
    std::vector<int64_t> encode(const std::string& text) const;
    /// The tokens of `text` as the vocabulary spells them (GPT-2: "Ġworld" for " world"; BERT:
    /// "straw", "##berries"; a word WordPiece cannot spell is "[UNK]" or the file's unknown token).
    std::vector<std::string> tokens(const std::string& text) const;
    /// The text of `ids` (bytes that are not UTF-8 on their own stay as they are).
    std::string decode(const std::vector<int64_t>& ids) const;
    /// The vocabulary's spelling of one id; empty outside the vocabulary.
    std::string tokenText(int64_t id) const;
    std::optional<int64_t> idOf(const std::string& token) const;

    struct Impl;
    /// For the readers (internal/tokenizer_impl.h).
    explicit Tokenizer(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}

private:
    std::shared_ptr<const Impl> m_impl;
};

}  // namespace cx::engine
