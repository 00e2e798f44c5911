#pragma once
// A text corpus as documents: a plain text file, or a folder of them (read in name order). In
// the fortune(6) format - a line holding only "%" between entries, as Debian's `fortunes`
// collections are written - each entry is a document; in any other file each paragraph (text
// between blank lines) is. Plain C++: the GUI includes it.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace cx::engine {

struct TextCorpus {
    std::vector<std::string> documents;
    std::vector<std::string> files;  // the files read, in order
};

/// Reads `path` (a file or a folder; in a folder every regular file that is not a symbolic link
/// and not a fortune index, *.dat). A file that is not UTF-8 text (a NUL byte, a broken
/// sequence) is refused by name; so is a corpus without a document.
Result<TextCorpus> readTextCorpus(const std::string& path);

/// The demo corpus: Debian's `fortunes` collections (/usr/share/games/fortunes, BSD licence).
std::string demoCorpusPath();

/// The held-out split the demo language models are measured on: every tenth document (index
/// 9, 19, ...); the others train.
bool isHeldOutDocument(size_t index);

}  // namespace cx::engine
