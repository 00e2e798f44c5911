// libFuzzer: a PNG or JPEG file's bytes through the image loader (stb_image, the size limits,
// resize and centre crop): an image of the promised shape in 0..1, or an error; never a crash.
#include <cstdint>
#include <cstdlib>

#include "engine/data/internal/image_set.h"

using namespace cx::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::vector<uint8_t> bytes(data, data + size);
    ImageOptions plain;
    plain.resize = 0;
    plain.crop = 0;
    ImageOptions cropped;
    cropped.resize = 12;
    cropped.crop = 10;
    for (const auto& options : {plain, cropped}) {
        auto image = decodeImage(bytes, "fuzz", options);
        if (!image) continue;
        const auto& t = image.value();
        if (t.dim() != 3 || t.size(0) != 3 || t.min().item<float>() < 0 || t.max().item<float>() > 1) std::abort();
        if (options.crop > 0 && (t.size(1) != options.crop || t.size(2) != options.crop)) std::abort();
    }
    return 0;
}
