// The project's own tokenizer: whole words, as HuggingFace's WordLevel model with a Lowercase
// normalizer and the Whitespace pre-tokenizer (\w+|[^\w\s]+, \w being Unicode's alphabetic
// letters, marks, decimal digits and connector punctuation) defines it, so that the demo
// language models' tokenizer.json is one any HuggingFace tool reads the same way.
#include <algorithm>
#include <map>

#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "engine/text/internal/code_points.h"
#include "engine/text/internal/tokenizer_impl.h"

namespace cx::engine {
namespace {

using nlohmann::json;

const char* const kSpecial[] = {"[PAD]", "[UNK]", "[MASK]", "[BOS]", "[EOS]"};

struct WordLevelImpl : Tokenizer::Impl {
    bool lowercase = true;
    std::string unknown = "[UNK]";

    std::vector<std::string> pieces(const std::string& text) const override;
    std::string spell(const std::vector<std::string>& tokens) const override;
};

bool isWordChar(char32_t c) {
    const UChar32 u = UChar32(c);
    return u_hasBinaryProperty(u, UCHAR_ALPHABETIC) || (U_GET_GC_MASK(u) & (U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) != 0 ||
           u_hasBinaryProperty(u, UCHAR_JOIN_CONTROL);
}

// The Whitespace pre-tokenizer's words and runs of marks, lower-cased first when asked.
std::vector<std::string> words(const std::string& raw, bool lowercase) {
    std::string text = raw;
    if (lowercase) {
        text.clear();
        icu::UnicodeString::fromUTF8(raw).toLower(icu::Locale::getRoot()).toUTF8String(text);
    }
    const auto cps = codePoints(text);
    std::vector<std::string> out;
    for (size_t i = 0; i < cps.size();) {
        if (isWhiteSpace(cps[i].value)) {
            ++i;
            continue;
        }
        const bool word = isWordChar(cps[i].value);
        size_t end = i + 1;
        while (end < cps.size() && !isWhiteSpace(cps[end].value) && isWordChar(cps[end].value) == word) ++end;
        out.push_back(text.substr(cps[i].begin, cps[end - 1].end - cps[i].begin));
        i = end;
    }
    return out;
}

}  // namespace

std::vector<std::string> WordLevelImpl::pieces(const std::string& text) const {
    std::vector<std::string> out;
    for (auto& w : words(text, lowercase)) out.push_back(ids.count(w) ? std::move(w) : unknown);
    return out;
}

std::string WordLevelImpl::spell(const std::vector<std::string>& tokens) const {
    std::string out;
    for (const auto& t : tokens) out += (out.empty() ? "" : " ") + t;
    return out;
}

Result<Tokenizer> Tokenizer::buildWordLevel(const std::string& corpus, int64_t vocabSize) {
    constexpr int64_t kSpecials = int64_t(sizeof(kSpecial) / sizeof(kSpecial[0]));
    if (vocabSize <= kSpecials) return invalidInput("a vocabulary needs more than its " + std::to_string(kSpecials) + " special tokens");
    std::map<std::string, int64_t> counts;
    for (auto& w : words(corpus, true)) ++counts[w];
    for (const char* s : kSpecial) counts.erase(s);
    std::vector<std::pair<std::string, int64_t>> ranked(counts.begin(), counts.end());  // byte order already
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    auto t = std::make_shared<WordLevelImpl>();
    t->kind = Kind::WordLevel;
    for (const char* s : kSpecial) {
        t->ids[s] = int64_t(t->vocab.size());
        t->vocab.push_back(s);
    }
    for (const auto& [word, count] : ranked) {
        if (int64_t(t->vocab.size()) >= vocabSize) break;
        t->ids[word] = int64_t(t->vocab.size());
        t->vocab.push_back(word);
    }
    t->added.assign(std::begin(kSpecial), std::end(kSpecial));
    return Tokenizer(t);
}

Result<Tokenizer> wordLevelFromJson(const json& j, const std::string& path) {
    const json& model = j["model"];
    auto t = std::make_shared<WordLevelImpl>();
    t->kind = Tokenizer::Kind::WordLevel;
    const json normalizer = j.value("normalizer", json());
    if (normalizer.is_null()) t->lowercase = false;
    else if (!normalizer.is_object() || normalizer.value("type", "") != "Lowercase")
        return invalidInput(path + ": only a Lowercase normalizer (or none) is followed with a WordLevel model");
    const json pre = j.value("pre_tokenizer", json());
    if (!pre.is_object() || pre.value("type", "") != "Whitespace")
        return invalidInput(path + ": only the Whitespace pre-tokenizer is followed with a WordLevel model");
    t->unknown = model.value("unk_token", std::string("[UNK]"));
    if (auto st = setVocab(*t, model.value("vocab", json())); !st) return invalidInput(path + ": " + st.error().message);
    if (!t->ids.count(t->unknown)) return invalidInput(path + ": the unknown token " + t->unknown + " is not in the vocabulary");
    if (auto st = setAdded(*t, j, path); !st) return st.error();
    return Tokenizer(t);
}

Result<json> wordLevelJson(const Tokenizer::Impl& impl) {
    const auto* t = dynamic_cast<const WordLevelImpl*>(&impl);
    if (!t) return invalidInput("only a word-level tokenizer is written as a tokenizer.json here");
    json vocab = json::object(), added = json::array();
    for (size_t i = 0; i < t->vocab.size(); ++i)
        if (!t->vocab[i].empty()) vocab[t->vocab[i]] = int64_t(i);
    for (const auto& a : t->added)
        added.push_back({{"id", t->ids.at(a)}, {"content", a}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                         {"normalized", false}, {"special", true}});
    return json{{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}, {"added_tokens", added},
                {"normalizer", t->lowercase ? json{{"type", "Lowercase"}} : json(nullptr)},
                {"pre_tokenizer", {{"type", "Whitespace"}}}, {"post_processor", nullptr}, {"decoder", nullptr},
                {"model", {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", t->unknown}}}};
}

}  // namespace cx::engine
