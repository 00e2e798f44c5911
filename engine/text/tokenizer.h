#pragma once
// Tokenizers of published language models, read from their own files, so that a user's
// TorchScript export of a GPT-2- or BERT-style model reads the same ids it was trained on:
// GPT-2's byte-level BPE (HuggingFace tokenizer.json with a BPE model, or GPT-2's encoder.json +
// vocab.bpe). Anything a file asks for that is not followed exactly is refused with the reason.
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
    enum class Kind { ByteLevelBpe };

    /// A HuggingFace tokenizer.json (model "BPE" with a ByteLevel pre-tokenizer and decoder).
    static Result<Tokenizer> readTokenizerJson(const std::string& path);
    /// GPT-2's own pair of files: encoder.json (token -> id) and vocab.bpe (the merges, by rank).
    static Result<Tokenizer> readGpt2(const std::string& encoderJson, const std::string& merges);

    Kind kind() const;
    int64_t vocabSize() const;
    /// The ids of `text`, no special tokens added.
    std::vector<int64_t> encode(const std::string& text) const;
    /// The tokens of `text` as the vocabulary spells them (GPT-2: "Ġworld" for " world").
    std::vector<std::string> tokens(const std::string& text) const;
    /// The text of `ids` (bytes that are not UTF-8 on their own stay as they are).
    std::string decode(const std::vector<int64_t>& ids) const;
    /// The vocabulary's spelling of one id; empty outside the vocabulary.
    std::string tokenText(int64_t id) const;
    std::optional<int64_t> idOf(const std::string& token) const;

    struct Impl;

private:
    explicit Tokenizer(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}
    std::shared_ptr<const Impl> m_impl;
};

}  // namespace cx::engine
