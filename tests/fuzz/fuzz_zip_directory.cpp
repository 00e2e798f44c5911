// libFuzzer: the zip directory reader (the zip-bomb check before a model is opened) on any
// bytes, read as the tail of files of several sizes.
#include <cstdint>

#include "engine/io/zip_directory.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    for (uint64_t extra : {uint64_t(0), uint64_t(1000), uint64_t(1) << 40}) (void)cx::engine::zipUnpackedSize(data, size, size + extra);
    return 0;
}
