// BERT's WordPiece, as google-research/bert's tokenization.py and HuggingFace's BertNormalizer +
// BertPreTokenizer + WordPiece define it: control characters dropped and white space made
// spaces, CJK ideographs spaced apart, lower case and accents stripped (NFD without non-spacing
// marks), punctuation split off, then each word spelled greedily by its longest vocabulary
// prefix, "##" before every piece but the first; a word it cannot spell is the unknown token.
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include "engine/io/file_read.h"
#include "engine/text/internal/code_points.h"
#include "engine/text/internal/tokenizer_impl.h"

namespace cx::engine {
namespace {

using nlohmann::json;

struct WordPieceImpl : Tokenizer::Impl {
    bool clean = true, chinese = true, lowercase = true, stripAccents = true;
    bool stripBeforeLower = false;  // HuggingFace strips, then lowers; BERT's Python lowers, then strips
    std::string unknown = "[UNK]", prefix = "##";
    size_t maxChars = 100;

    std::vector<std::string> pieces(const std::string& text) const override;
    std::string spell(const std::vector<std::string>& tokens) const override;
    void spellWord(const std::string& word, std::vector<std::string>& out) const;
};

bool isSpace(char32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || u_charType(UChar32(c)) == U_SPACE_SEPARATOR; }

bool isControl(char32_t c) {
    if (c == '\t' || c == '\n' || c == '\r') return false;
    return (U_GET_GC_MASK(UChar32(c)) & U_GC_C_MASK) != 0;
}

// ASCII symbols count as punctuation too ($, +, ^, `...), as in BERT.
bool isPunctuation(char32_t c) {
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
    return (U_GET_GC_MASK(UChar32(c)) & U_GC_P_MASK) != 0;
}

bool isCjk(char32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

std::string lowered(const std::string& s) {
    std::string out;
    icu::UnicodeString::fromUTF8(s).toLower(icu::Locale::getRoot()).toUTF8String(out);
    return out;
}

std::string withoutAccents(const std::string& s) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
    if (U_FAILURE(status)) return s;
    const icu::UnicodeString decomposed = nfd->normalize(icu::UnicodeString::fromUTF8(s), status);
    if (U_FAILURE(status)) return s;
    icu::UnicodeString kept;
    for (int32_t i = 0; i < decomposed.length();) {
        const UChar32 c = decomposed.char32At(i);
        if (u_charType(c) != U_NON_SPACING_MARK) kept.append(c);
        i += U16_LENGTH(c);
    }
    std::string out;
    kept.toUTF8String(out);
    return out;
}

std::string utf8Of(const std::vector<CodePoint>& cps, const std::string& text, size_t from, size_t to) {
    return from >= to ? std::string() : text.substr(cps[from].begin, cps[to - 1].end - cps[from].begin);
}

}  // namespace

void WordPieceImpl::spellWord(const std::string& word, std::vector<std::string>& out) const {
    const auto cps = codePoints(word);
    if (cps.size() > maxChars) return out.push_back(unknown);
    std::vector<std::string> parts;
    for (size_t start = 0; start < cps.size();) {
        size_t end = cps.size();
        std::string found;
        for (; end > start; --end) {
            const std::string piece = (start > 0 ? prefix : std::string()) + utf8Of(cps, word, start, end);
            if (ids.count(piece)) {
                found = piece;
                break;
            }
        }
        if (found.empty()) return out.push_back(unknown);
        parts.push_back(found);
        start = end;
    }
    out.insert(out.end(), parts.begin(), parts.end());
}

std::vector<std::string> WordPieceImpl::pieces(const std::string& text) const {
    // Clean and space: one string of words separated by single spaces' worth of splitting.
    std::string spaced;
    const auto cps = codePoints(text);
    for (size_t i = 0; i < cps.size(); ++i) {
        const char32_t c = cps[i].value;
        if (clean && (c == 0 || c == 0xFFFD || isControl(c))) continue;
        if (isSpace(c)) spaced += ' ';
        else if (chinese && isCjk(c)) spaced += ' ' + utf8Of(cps, text, i, i + 1) + ' ';
        else spaced += utf8Of(cps, text, i, i + 1);
    }
    std::vector<std::string> out;
    size_t start = 0;
    while (start < spaced.size()) {
        const size_t stop = std::min(spaced.find(' ', start), spaced.size());
        std::string word = spaced.substr(start, stop - start);
        start = stop + 1;
        if (word.empty()) continue;
        if (stripBeforeLower && stripAccents) word = withoutAccents(word);
        if (lowercase) word = lowered(word);
        if (!stripBeforeLower && stripAccents) word = withoutAccents(word);
        // Punctuation splits the word; each mark is a word of its own.
        const auto w = codePoints(word);
        size_t from = 0;
        for (size_t i = 0; i <= w.size(); ++i) {
            if (i < w.size() && !isPunctuation(w[i].value)) continue;
            if (i > from) spellWord(utf8Of(w, word, from, i), out);
            if (i < w.size()) spellWord(utf8Of(w, word, i, i + 1), out);
            from = i + 1;
        }
    }
    return out;
}

std::string WordPieceImpl::spell(const std::vector<std::string>& tokens) const {
    std::string out;
    for (const auto& t : tokens) {
        if (!prefix.empty() && t.rfind(prefix, 0) == 0) out += t.substr(prefix.size());
        else out += (out.empty() ? "" : " ") + t;
    }
    return out;
}

Result<Tokenizer> Tokenizer::readVocabTxt(const std::string& path, bool lowercase) {
    auto bytes = readInputFile(path, "vocabulary");
    if (!bytes) return bytes.error();
    auto t = std::make_shared<WordPieceImpl>();
    t->kind = Kind::WordPiece;
    t->lowercase = t->stripAccents = lowercase;
    if (auto st = setVocabLines(*t, std::string(bytes.value().begin(), bytes.value().end())); !st)
        return invalidInput(path + ": " + st.error().message);
    if (!t->ids.count(t->unknown)) return invalidInput(path + ": the vocabulary has no " + t->unknown + " token");
    for (const char* special : {"[CLS]", "[SEP]", "[PAD]", "[MASK]"})  // never split, as BERT's never_split
        if (t->ids.count(special)) t->added.push_back(special);
    return Tokenizer(t);
}

Result<Tokenizer> wordPieceFromJson(const json& j, const std::string& path) {
    const json& model = j["model"];
    auto t = std::make_shared<WordPieceImpl>();
    t->kind = Tokenizer::Kind::WordPiece;
    t->stripBeforeLower = true;
    const json normalizer = j.value("normalizer", json());
    if (normalizer.is_null()) {
        t->clean = t->chinese = t->lowercase = t->stripAccents = false;
    } else if (normalizer.is_object() && normalizer.value("type", "") == "BertNormalizer") {
        t->clean = normalizer.value("clean_text", true);
        t->chinese = normalizer.value("handle_chinese_chars", true);
        t->lowercase = normalizer.value("lowercase", true);
        const json strip = normalizer.value("strip_accents", json());
        t->stripAccents = strip.is_null() ? t->lowercase : strip.get<bool>();
    } else {
        return invalidInput(path + ": only BERT's normalizer is followed with a WordPiece model (" + normalizer.dump().substr(0, 80) + ")");
    }
    const json pre = j.value("pre_tokenizer", json());
    if (!pre.is_object() || pre.value("type", "") != "BertPreTokenizer")
        return invalidInput(path + ": only BERT's pre-tokenizer is followed with a WordPiece model");
    t->unknown = model.value("unk_token", std::string("[UNK]"));
    t->prefix = model.value("continuing_subword_prefix", std::string("##"));
    t->maxChars = size_t(model.value("max_input_chars_per_word", 100));
    if (auto st = setVocab(*t, model.value("vocab", json())); !st) return invalidInput(path + ": " + st.error().message);
    if (!t->ids.count(t->unknown)) return invalidInput(path + ": the unknown token " + t->unknown + " is not in the vocabulary");
    if (auto st = setAdded(*t, j, path); !st) return st.error();
    return Tokenizer(t);
}

}  // namespace cx::engine
