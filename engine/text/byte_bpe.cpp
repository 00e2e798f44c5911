// GPT-2's byte-level BPE, as OpenAI's encoder.py and HuggingFace's ByteLevel BPE define it:
// the text split by GPT-2's pattern ('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|
// ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+), each piece's bytes spelled as printable characters
// (bytes_to_unicode), then merged pair by pair, lowest rank first.
#include <algorithm>
#include <array>
#include <climits>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "engine/io/file_read.h"
#include "engine/text/internal/code_points.h"
#include "engine/text/internal/tokenizer_impl.h"

namespace cx::engine {

namespace {

using nlohmann::json;

struct BpeImpl : Tokenizer::Impl {
    std::unordered_map<std::string, int> ranks;       // "a b" -> merge rank
    std::array<std::string, 256> byteChar;            // byte -> its printable character (UTF-8)
    std::unordered_map<std::string, uint8_t> charByte;

    std::vector<std::string> bpe(const std::string& piece) const;
    std::vector<std::string> pieces(const std::string& text) const override;
    std::string spell(const std::vector<std::string>& tokens) const override;
};

std::string utf8(char32_t c) {
    std::string s;
    if (c < 0x80) s += char(c);
    else if (c < 0x800) s += char(0xC0 | (c >> 6)), s += char(0x80 | (c & 0x3F));
    else s += char(0xE0 | (c >> 12)), s += char(0x80 | ((c >> 6) & 0x3F)), s += char(0x80 | (c & 0x3F));
    return s;
}

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest for 256 + n.
void byteAlphabet(BpeImpl& t) {
    int n = 0;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        t.byteChar[size_t(b)] = utf8(printable ? char32_t(b) : char32_t(256 + n++));
        t.charByte[t.byteChar[size_t(b)]] = uint8_t(b);
    }
}

// GPT-2's pre-tokenisation pattern, alternative by alternative, leftmost-first as a regex engine.
std::vector<std::string> splitPieces(const std::string& text) {
    const auto cps = codePoints(text);
    const size_t n = cps.size();
    auto other = [&](size_t i) { return !isWhiteSpace(cps[i].value) && !isLetter(cps[i].value) && !isNumber(cps[i].value); };
    std::vector<std::string> out;
    size_t i = 0;
    while (i < n) {
        size_t end = i;
        const char32_t c = cps[i].value;
        auto is = [&](size_t k, char32_t v) { return k < n && cps[k].value == v; };
        if (c == '\'' && (is(i + 1, 's') || is(i + 1, 't') || is(i + 1, 'm') || is(i + 1, 'd'))) end = i + 2;
        else if (c == '\'' && ((is(i + 1, 'r') && is(i + 2, 'e')) || (is(i + 1, 'v') && is(i + 2, 'e')) || (is(i + 1, 'l') && is(i + 2, 'l'))))
            end = i + 3;
        if (end == i) {
            const size_t j = c == ' ' && i + 1 < n ? i + 1 : i;  // " ?" before a class
            for (auto cls : {&isLetter, &isNumber}) {
                if (end == i && (*cls)(cps[j].value)) {
                    end = j;
                    while (end < n && (*cls)(cps[end].value)) ++end;
                }
            }
            if (end == i && other(j)) {
                end = j;
                while (end < n && other(end)) ++end;
            }
        }
        if (end == i) {  // whitespace: \s+(?!\S), else \s+
            size_t k = i;
            while (k < n && isWhiteSpace(cps[k].value)) ++k;
            end = k == n || k - i == 1 ? k : k - 1;  // leave the last space to the word after it
        }
        out.push_back(text.substr(cps[i].begin, cps[end - 1].end - cps[i].begin));
        i = end;
    }
    return out;
}

// Byte-level BPE starts from single bytes: each of the 256 must be a token.
Status checkBytes(const BpeImpl& t) {
    for (int b = 0; b < 256; ++b)
        if (!t.ids.count(t.byteChar[size_t(b)])) return invalidInput("the vocabulary lacks the symbol of byte " + std::to_string(b) + " (not a byte-level vocabulary)");
    return Done{};
}

Status addMerge(BpeImpl& t, const std::string& a, const std::string& b, size_t line) {
    if (a.empty() || b.empty()) return invalidInput("merge " + std::to_string(line) + " is not two symbols");
    // Every symbol a merge reads or makes is a token, so that encoding never meets an unknown one.
    for (const std::string& s : {a, b, a + b})
        if (!t.ids.count(s)) return invalidInput("merge " + std::to_string(line) + " (" + a + " " + b + ") uses '" + s + "', which is not in the vocabulary");
    t.ranks.emplace(a + " " + b, int(t.ranks.size()));
    return Done{};
}

// The pre-tokenizer a tokenizer.json names: ByteLevel alone (or alone in a Sequence), no prefix space.
Status checkByteLevel(const json& pre, const std::string& path) {
    const json* level = &pre;
    if (pre.is_object() && pre.value("type", "") == "Sequence" && pre.contains("pretokenizers") && pre["pretokenizers"].size() == 1)
        level = &pre["pretokenizers"][0];
    if (!level->is_object() || level->value("type", "") != "ByteLevel")
        return invalidInput(path + ": only a ByteLevel pre-tokenizer is followed with a BPE model (" + pre.dump().substr(0, 80) + ")");
    if (level->value("add_prefix_space", false)) return invalidInput(path + ": add_prefix_space is not followed");
    if (!level->value("use_regex", true)) return invalidInput(path + ": a ByteLevel pre-tokenizer without its regex is not followed");
    return Done{};
}

}  // namespace

std::vector<std::string> BpeImpl::bpe(const std::string& piece) const {
    std::vector<std::string> word;
    for (unsigned char b : piece) word.push_back(byteChar[b]);
    while (word.size() > 1) {
        int best = INT_MAX;
        size_t at = 0;
        for (size_t i = 0; i + 1 < word.size(); ++i) {
            const auto it = ranks.find(word[i] + " " + word[i + 1]);
            if (it != ranks.end() && it->second < best) best = it->second, at = i;
        }
        if (best == INT_MAX) break;
        const std::string first = word[at], second = word[at + 1];
        std::vector<std::string> merged;  // every occurrence of the pair, left to right
        for (size_t i = 0; i < word.size(); ++i) {
            if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) merged.push_back(first + second), ++i;
            else merged.push_back(word[i]);
        }
        word = std::move(merged);
    }
    return word;
}

std::vector<std::string> BpeImpl::pieces(const std::string& text) const {
    std::vector<std::string> out;
    for (const auto& piece : splitPieces(text))
        for (auto& t : bpe(piece)) out.push_back(std::move(t));
    return out;
}

std::string BpeImpl::spell(const std::vector<std::string>& tokens) const {
    std::string out;
    for (const auto& t : tokens)
        for (const auto& cp : codePoints(t)) {
            const auto it = charByte.find(t.substr(cp.begin, cp.end - cp.begin));
            if (it != charByte.end()) out += char(it->second);
        }
    return out;
}

Result<Tokenizer> Tokenizer::readGpt2(const std::string& encoderJson, const std::string& mergesPath) {
    auto encoder = readJsonFile(encoderJson, "GPT-2 encoder");
    if (!encoder) return encoder.error();
    auto merges = readInputFile(mergesPath, "GPT-2 merges");
    if (!merges) return merges.error();
    auto t = std::make_shared<BpeImpl>();
    byteAlphabet(*t);
    if (auto st = setVocab(*t, encoder.value()); !st) return invalidInput(encoderJson + ": " + st.error().message);
    if (auto st = checkBytes(*t); !st) return invalidInput(encoderJson + ": " + st.error().message);
    const std::string text(merges.value().begin(), merges.value().end());
    size_t line = 0, start = 0;
    while (start < text.size()) {
        const size_t stop = std::min(text.find('\n', start), text.size());
        const std::string row = text.substr(start, stop - start);
        start = stop + 1;
        ++line;
        if (row.empty() || (line == 1 && row.rfind("#version", 0) == 0)) continue;
        const size_t space = row.find(' ');
        if (space == std::string::npos || row.find(' ', space + 1) != std::string::npos)
            return invalidInput(mergesPath + ": line " + std::to_string(line) + " is not two symbols separated by one space");
        if (auto st = addMerge(*t, row.substr(0, space), row.substr(space + 1), line); !st) return invalidInput(mergesPath + ": " + st.error().message);
    }
    return Tokenizer(t);
}

Result<Tokenizer> byteBpeFromJson(const json& j, const std::string& path) {
    const json& model = j["model"];
    if (j.contains("normalizer") && !j["normalizer"].is_null()) return invalidInput(path + ": a normalizer is not followed with a BPE model");
    if (auto st = checkByteLevel(j.value("pre_tokenizer", json()), path); !st) return st.error();
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
        if (model.contains(key) && model[key].is_string() && !model[key].get<std::string>().empty())
            return invalidInput(path + ": " + key + " is not followed");
    if (model.value("byte_fallback", false)) return invalidInput(path + ": byte_fallback is not followed");
    if (model.contains("dropout") && !model["dropout"].is_null() && model["dropout"].get<double>() != 0.0)
        return invalidInput(path + ": BPE dropout is not followed (it is random)");
    auto t = std::make_shared<BpeImpl>();
    byteAlphabet(*t);
    if (auto st = setVocab(*t, model.value("vocab", json())); !st) return invalidInput(path + ": " + st.error().message);
    if (auto st = checkBytes(*t); !st) return invalidInput(path + ": " + st.error().message);
    const json merges = model.value("merges", json::array());
    for (size_t i = 0; i < merges.size(); ++i) {
        const json& m = merges[i];
        std::string a, b;
        if (m.is_string()) {
            const std::string s = m.get<std::string>();
            const size_t space = s.find(' ');
            if (space != std::string::npos) a = s.substr(0, space), b = s.substr(space + 1);
        } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
            a = m[0].get<std::string>(), b = m[1].get<std::string>();
        }
        if (auto st = addMerge(*t, a, b, i + 1); !st) return invalidInput(path + ": " + st.error().message);
    }
    if (auto st = setAdded(*t, j, path); !st) return st.error();
    return Tokenizer(t);
}

}  // namespace cx::engine
