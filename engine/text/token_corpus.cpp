#include "engine/text/token_corpus.h"

#include <cctype>
#include <set>

namespace cx::engine {

Framing framingOf(const Tokenizer& tokenizer) {
    Framing f;
    if (auto bos = tokenizer.idOf("[BOS]")) {
        f.begin = bos;
        f.end = tokenizer.idOf("[EOS]");
    } else if (tokenizer.kind() == Tokenizer::Kind::WordPiece) {
        f.begin = tokenizer.idOf("[CLS]");
        f.end = tokenizer.idOf("[SEP]");
    }
    return f;
}

std::vector<int64_t> framed(const Framing& framing, const std::vector<int64_t>& ids, bool withEnd) {
    std::vector<int64_t> out;
    out.reserve(ids.size() + 2);
    if (framing.begin) out.push_back(*framing.begin);
    out.insert(out.end(), ids.begin(), ids.end());
    if (withEnd && framing.end) out.push_back(*framing.end);
    return out;
}

Result<TokenCorpus> windowCorpus(const TextCorpus& corpus, const Tokenizer& tokenizer, int64_t context) {
    if (context < 1) return invalidInput("the context must be at least 1 token, got " + std::to_string(context));
    TokenCorpus out;
    out.context = context;
    const Framing framing = framingOf(tokenizer);
    for (size_t d = 0; d < corpus.documents.size(); ++d) {
        const auto ids = framed(framing, tokenizer.encode(corpus.documents[d]));
        for (size_t from = 0; from < ids.size(); from += size_t(context)) {
            const size_t n = std::min(ids.size() - from, size_t(context));
            out.windows.push_back({int64_t(d), int64_t(from), {ids.begin() + long(from), ids.begin() + long(from + n)}});
            out.tokens += int64_t(n);
        }
    }
    if (out.windows.empty()) return invalidInput("the corpus has no token");
    return out;
}

bool isSpecial(const Tokenizer& tokenizer, int64_t id) {
    static const std::set<std::string> kBoundaries = {"[PAD]", "[BOS]", "[EOS]", "[CLS]", "[SEP]", "<|endoftext|>",
                                                      "<s>", "</s>", "<pad>"};
    return kBoundaries.count(tokenizer.tokenText(id)) > 0;
}

bool endsSentence(const Tokenizer& tokenizer, int64_t id) {
    if (isSpecial(tokenizer, id)) return true;
    const std::string text = tokenizer.decode({id});
    bool stop = false;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c >= 0x80) return false;
        if (c == '.' || c == '!' || c == '?') stop = true;
    }
    return stop;
}

}  // namespace cx::engine
