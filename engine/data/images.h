#pragma once
// Image data sets: options and a plain description. Loading lives in internal/image_set.h.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cx::engine {

/// Bounds on image files and options: a longer side, or a decoded image of more pixels, is
/// refused before anything that size is allocated.
constexpr int kMaxImageSide = 16384;
constexpr int64_t kMaxImagePixels = int64_t(1) << 26;  // 8192 x 8192

/// Preprocessing for image folders (safetensors image files are used as they are).
/// Defaults are ImageNet's: shorter side to 256, centre crop 224, ImageNet mean/std.
struct ImageOptions {
    int resize = 256;   // shorter side in pixels; 0 keeps the original size
    int crop = 224;     // centre crop side; 0 for none
    bool normalize = true;
    std::array<float, 3> mean{0.485f, 0.456f, 0.406f};
    std::array<float, 3> std{0.229f, 0.224f, 0.225f};
    int64_t limit = 0;  // at most this many images (0: all), taken in sorted order
};

struct ImageSetInfo {
    std::string source;
    int64_t count = 0, channels = 0, height = 0, width = 0;
    std::vector<std::string> classNames;  // sub-folder names, or the demo's shape classes
    std::vector<std::string> files;       // per image (empty for safetensors)
};

}  // namespace cx::engine
