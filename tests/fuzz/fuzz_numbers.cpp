// libFuzzer: number parsing of metadata and options: never a non-finite real, never a crash.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/core/parse_number.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (auto v = cx::engine::parseFinite(text); v && !std::isfinite(*v)) std::abort();
    (void)cx::engine::parseInt64(text);
    return 0;
}
