#pragma once
// UTF-8 text as code points with their Unicode classes (ICU's character database): what the
// tokenizers' pre-tokenisation rules are written in.
#include <cstdint>
#include <string>
#include <vector>

namespace cx::engine {

struct CodePoint {
    char32_t value = 0;
    size_t begin = 0, end = 0;  // its bytes in the text
};

/// The code points of `text`; an invalid byte becomes U+FFFD over that one byte.
std::vector<CodePoint> codePoints(const std::string& text);

bool isLetter(char32_t c);       // \p{L}
bool isNumber(char32_t c);       // \p{N}
bool isWhiteSpace(char32_t c);   // the White_Space property (regex \s)

}  // namespace cx::engine
