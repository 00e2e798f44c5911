#pragma once
// PNG and JPEG files decoded to 8-bit RGB with Debian's libpng and libjpeg-turbo (both fuzzed
// upstream; stb_image 2.27, which Debian ships, writes out of bounds on crafted JPEG huffman
// tables). The pixels are what PIL's convert("RGB") gives: palettes and grey expanded, 16-bit
// samples reduced to 8, alpha dropped, no gamma applied. Plain C++.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace cx::engine {

struct Rgb8Image {
    int width = 0, height = 0;
    std::vector<uint8_t> pixels;  // height x width x 3, row-major
};

/// InvalidInput naming `name`: not a PNG or JPEG by its signature, a damaged file, or a header
/// claiming more than kMaxImageSide per side or kMaxImagePixels in all (refused before any pixel
/// is decoded).
Result<Rgb8Image> decodePngOrJpeg(const std::vector<uint8_t>& bytes, const std::string& name);

}  // namespace cx::engine
