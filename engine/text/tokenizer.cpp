// The readers' shared parts: vocabularies, added tokens, JSON files, and the dispatch on a
// tokenizer.json's model type.
#include "engine/text/tokenizer.h"

#include <algorithm>

#include "engine/io/atomic_file.h"
#include "engine/io/file_read.h"
#include "engine/text/internal/tokenizer_impl.h"

namespace cx::engine {

using nlohmann::json;

Status setVocab(Tokenizer::Impl& t, const json& vocab) {
    if (!vocab.is_object() || vocab.empty()) return invalidInput("the vocabulary is not an object of token -> id");
    int64_t top = -1;
    for (const auto& [token, id] : vocab.items()) {
        if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > (int64_t(1) << 24))
            return invalidInput("the vocabulary's id of '" + token + "' is not an id (0.." + std::to_string(int64_t(1) << 24) + ")");
        top = std::max(top, id.get<int64_t>());
    }
    t.vocab.assign(size_t(top + 1), std::string());
    for (const auto& [token, id] : vocab.items()) {
        const int64_t i = id.get<int64_t>();
        if (!t.vocab[size_t(i)].empty()) return invalidInput("the vocabulary gives id " + std::to_string(i) + " twice");
        t.vocab[size_t(i)] = token;
        t.ids[token] = i;
    }
    return Done{};
}

Status setVocabLines(Tokenizer::Impl& t, const std::string& text) {
    size_t start = 0;
    while (start < text.size()) {
        size_t stop = std::min(text.find('\n', start), text.size());
        std::string token = text.substr(start, stop - start);
        if (!token.empty() && token.back() == '\r') token.pop_back();
        start = stop + 1;
        if (token.empty()) return invalidInput("line " + std::to_string(t.vocab.size() + 1) + " is empty (a token per line)");
        if (!t.ids.emplace(token, int64_t(t.vocab.size())).second)
            return invalidInput("line " + std::to_string(t.vocab.size() + 1) + " repeats '" + token + "'");
        t.vocab.push_back(token);
    }
    if (t.vocab.empty()) return invalidInput("the vocabulary is empty");
    return Done{};
}

Status setAdded(Tokenizer::Impl& t, const json& file, const std::string& path) {
    for (const auto& a : file.value("added_tokens", json::array())) {
        if (!a.is_object() || !a.contains("content") || !a["content"].is_string() || a["content"].get<std::string>().empty())
            return invalidInput(path + ": an added token has no content");
        const std::string content = a["content"].get<std::string>();
        if (!t.ids.count(content)) return invalidInput(path + ": added token '" + content + "' is not in the vocabulary");
        if (a.value("single_word", false) || a.value("lstrip", false) || a.value("rstrip", false))
            return invalidInput(path + ": added token '" + content + "' asks for single_word, lstrip or rstrip, which are not followed");
        t.added.push_back(content);
    }
    return Done{};
}

Result<json> readJsonFile(const std::string& path, const std::string& what) {
    auto bytes = readInputFile(path, what);
    if (!bytes) return bytes.error();
    try {
        return json::parse(bytes.value().begin(), bytes.value().end());
    } catch (const json::exception& e) {
        return invalidInput(path + " is not JSON: " + e.what());
    }
}

std::vector<std::string> Tokenizer::Impl::tokens(const std::string& text) const {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {  // the earliest added token next, the longest where two start together
        size_t next = std::string::npos;
        const std::string* hit = nullptr;
        for (const auto& a : added) {
            const size_t at = text.find(a, start);
            if (at != std::string::npos && (at < next || (at == next && a.size() > hit->size()))) next = at, hit = &a;
        }
        const std::string before = text.substr(start, next == std::string::npos ? std::string::npos : next - start);
        for (auto& t : pieces(before)) out.push_back(std::move(t));
        if (!hit) break;
        out.push_back(*hit);
        start = next + hit->size();
    }
    return out;
}

Result<Tokenizer> Tokenizer::readTokenizerJson(const std::string& path) {
    auto file = readJsonFile(path, "tokenizer");
    if (!file) return file.error();
    const json& j = file.value();
    if (!j.is_object() || !j.contains("model") || !j["model"].is_object()) return invalidInput(path + " has no tokenizer model");
    try {  // a field of the wrong JSON type throws: it is named, not let through
        const std::string type = j["model"].value("type", "");
        if (type == "BPE") return byteBpeFromJson(j, path);
        if (type == "WordPiece") return wordPieceFromJson(j, path);
        if (type == "WordLevel") return wordLevelFromJson(j, path);
        return invalidInput(path + ": a '" + type + "' model is not read (BPE, WordPiece and WordLevel are)");
    } catch (const json::exception& e) {
        return invalidInput(path + ": " + e.what());
    }
}

Status Tokenizer::writeTokenizerJson(const std::string& path) const {
    auto j = wordLevelJson(*m_impl);
    if (!j) return j.error();
    return writeFileAtomic(path, j.value().dump(1) + "\n");
}

Tokenizer::Kind Tokenizer::kind() const { return m_impl->kind; }
int64_t Tokenizer::vocabSize() const { return int64_t(m_impl->vocab.size()); }
std::vector<std::string> Tokenizer::tokens(const std::string& text) const { return m_impl->tokens(text); }

std::vector<int64_t> Tokenizer::encode(const std::string& text) const {
    std::vector<int64_t> ids;
    for (const auto& t : m_impl->tokens(text)) ids.push_back(m_impl->ids.at(t));  // every token is in the vocabulary (checked on reading)
    return ids;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids) const {
    std::string out;
    std::vector<std::string> run;  // spelled together up to the next added token
    for (int64_t id : ids) {
        const std::string t = tokenText(id);
        if (std::find(m_impl->added.begin(), m_impl->added.end(), t) == m_impl->added.end()) {
            run.push_back(t);
            continue;
        }
        out += m_impl->spell(run) + t;
        run.clear();
    }
    return out + m_impl->spell(run);
}

std::string Tokenizer::tokenText(int64_t id) const {
    return id >= 0 && id < vocabSize() ? m_impl->vocab[size_t(id)] : std::string();
}

std::optional<int64_t> Tokenizer::idOf(const std::string& token) const {
    const auto it = m_impl->ids.find(token);
    return it == m_impl->ids.end() ? std::nullopt : std::optional<int64_t>(it->second);
}

}  // namespace cx::engine
