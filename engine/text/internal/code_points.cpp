#include "engine/text/internal/code_points.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

namespace cx::engine {

std::vector<CodePoint> codePoints(const std::string& text) {
    std::vector<CodePoint> out;
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const int32_t length = int32_t(text.size());
    int32_t i = 0;
    while (i < length) {
        const int32_t start = i;
        UChar32 c = 0;
        U8_NEXT(s, i, length, c);
        if (c < 0) {  // not UTF-8: one replacement character per bad byte
            c = 0xFFFD;
            i = start + 1;
        }
        out.push_back({char32_t(c), size_t(start), size_t(i)});
    }
    return out;
}

bool isLetter(char32_t c) { return (U_GET_GC_MASK(UChar32(c)) & U_GC_L_MASK) != 0; }
bool isNumber(char32_t c) { return (U_GET_GC_MASK(UChar32(c)) & U_GC_N_MASK) != 0; }
bool isWhiteSpace(char32_t c) { return u_isUWhiteSpace(UChar32(c)) != 0; }

}  // namespace cx::engine
