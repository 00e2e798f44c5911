#include "engine/text/corpus.h"

#include <algorithm>
#include <filesystem>

#include "engine/io/file_read.h"

namespace cx::engine {
namespace {

namespace fs = std::filesystem;

// Valid UTF-8 without NUL: the readers of the corpus (tokenizers, the GUI) take it as text.
bool isUtf8Text(const std::string& s) {
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == 0) return false;
        const int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
        if (extra < 0 || i + size_t(extra) >= s.size()) return false;
        for (int k = 1; k <= extra; ++k)
            if ((static_cast<unsigned char>(s[i + size_t(k)]) >> 6) != 0x2) return false;
        i += size_t(extra) + 1;
    }
    return true;
}

std::string trimmed(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// Lines of `text`, without their line ends.
std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out.push_back(std::move(line));
        start = end + 1;
    }
    return out;
}

void addDocuments(const std::string& text, std::vector<std::string>& out) {
    const auto all = lines(text);
    const bool fortunes = std::any_of(all.begin(), all.end(), [](const std::string& l) { return l == "%"; });
    std::string current;
    auto flush = [&] {
        if (auto doc = trimmed(current); !doc.empty()) out.push_back(std::move(doc));
        current.clear();
    };
    for (const auto& line : all) {
        if (fortunes ? line == "%" : trimmed(line).empty()) {
            flush();
            continue;
        }
        current += line + "\n";
    }
    flush();
}

}  // namespace

Result<TextCorpus> readTextCorpus(const std::string& path) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) return invalidInput("no such corpus file or folder: " + path);
    std::vector<std::string> files;
    if (fs::is_directory(status)) {
        for (const auto& entry : fs::directory_iterator(path, ec)) {
            const auto& p = entry.path();
            if (entry.is_symlink() || !entry.is_regular_file() || p.extension() == ".dat") continue;
            files.push_back(p.string());
        }
        if (ec) return invalidInput("cannot list the corpus folder " + path + ": " + ec.message());
        std::sort(files.begin(), files.end());
        if (files.empty()) return invalidInput("the corpus folder " + path + " holds no text file");
    } else {
        files.push_back(path);
    }
    TextCorpus corpus;
    for (const auto& file : files) {
        auto bytes = readInputFile(file, "corpus file");
        if (!bytes) return bytes.error();
        const std::string text(bytes.value().begin(), bytes.value().end());
        if (!isUtf8Text(text))
            return invalidInput(file + " is not UTF-8 text (a NUL byte or a broken multi-byte sequence): a corpus is plain text");
        addDocuments(text, corpus.documents);
        corpus.files.push_back(file);
    }
    if (corpus.documents.empty()) return invalidInput("the corpus " + path + " holds no text");
    return corpus;
}

std::string demoCorpusPath() { return "/usr/share/games/fortunes"; }

bool isHeldOutDocument(size_t index) { return index % 10 == 9; }

}  // namespace cx::engine
