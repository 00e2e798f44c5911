#pragma once
// What every tokenizer kind shares: the vocabulary both ways and the added tokens (matched whole
// in the text before anything else, as HuggingFace does); each kind splits and spells the rest.
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/text/tokenizer.h"

namespace cx::engine {

struct Tokenizer::Impl {
    virtual ~Impl() = default;
    Tokenizer::Kind kind = Tokenizer::Kind::ByteLevelBpe;
    std::vector<std::string> vocab;                  // id -> spelling ("" for an id the file skips)
    std::unordered_map<std::string, int64_t> ids;
    std::vector<std::string> added;

    /// The tokens of text that holds no added token.
    virtual std::vector<std::string> pieces(const std::string& text) const = 0;
    /// The text of tokens (none of them added ones).
    virtual std::string spell(const std::vector<std::string>& tokens) const = 0;
    std::vector<std::string> tokens(const std::string& text) const;
};

/// token -> id from a JSON object; ids unique and non-negative (a trimmed test vocabulary keeps
/// its real ids, with gaps).
Status setVocab(Tokenizer::Impl& t, const nlohmann::json& vocab);
/// A token per line, its id the line's index.
Status setVocabLines(Tokenizer::Impl& t, const std::string& text);
/// The added tokens of a tokenizer.json, each in the vocabulary.
Status setAdded(Tokenizer::Impl& t, const nlohmann::json& file, const std::string& path);
Result<nlohmann::json> readJsonFile(const std::string& path, const std::string& what);

/// The two kinds a tokenizer.json may hold (tokenizer.cpp dispatches on model.type).
Result<Tokenizer> byteBpeFromJson(const nlohmann::json& file, const std::string& path);
Result<Tokenizer> wordPieceFromJson(const nlohmann::json& file, const std::string& path);
Result<Tokenizer> wordLevelFromJson(const nlohmann::json& file, const std::string& path);
/// A word-level tokenizer's tokenizer.json; an error for another kind.
Result<nlohmann::json> wordLevelJson(const Tokenizer::Impl& impl);

}  // namespace cx::engine
