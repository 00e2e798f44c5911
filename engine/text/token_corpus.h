#pragma once
// A text corpus as a token model reads it: each document tokenised and framed as the tokenizer's
// models expect ([BOS] document for the project's own, [CLS] document [SEP] for a WordPiece
// vocabulary, bare ids for GPT-2's), then cut into windows of at most `context` tokens, the
// model's inputs for dataset examples. Plain C++: the GUI includes it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/text/corpus.h"
#include "engine/text/tokenizer.h"

namespace cx::engine {

/// What a tokenizer's models see around a text: an opening and a closing token, when they have one.
struct Framing {
    std::optional<int64_t> begin, end;
};
Framing framingOf(const Tokenizer& tokenizer);
/// The ids a model reads for `ids` of a text: framing.begin, the ids, framing.end.
std::vector<int64_t> framed(const Framing& framing, const std::vector<int64_t>& ids, bool withEnd = true);

struct TokenWindow {
    int64_t document = 0;          // index in the corpus
    int64_t offset = 0;            // its first token's index in the framed document
    std::vector<int64_t> ids;
};

struct TokenCorpus {
    std::vector<TokenWindow> windows;
    int64_t tokens = 0;            // in all windows
    int64_t context = 0;
};

/// The framed documents of `corpus` in windows of at most `context` tokens, none empty.
Result<TokenCorpus> windowCorpus(const TextCorpus& corpus, const Tokenizer& tokenizer, int64_t context);

/// Whether a token ends a sentence: its text is marks only and holds '.', '!' or '?'. The framing
/// and padding tokens ([PAD] [BOS] [EOS] [CLS] [SEP] <|endoftext|> <s> </s> <pad>: isSpecial) are
/// boundaries too; [UNK] and [MASK] are words.
bool endsSentence(const Tokenizer& tokenizer, int64_t id);
bool isSpecial(const Tokenizer& tokenizer, int64_t id);

}  // namespace cx::engine
