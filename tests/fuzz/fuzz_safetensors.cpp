// libFuzzer: the safetensors parser on any bytes must return a file or an error, never crash,
// and what it returns must be consistent (every tensor's data matches its shape and dtype).
#include <cstdint>
#include <cstdlib>

#include "engine/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto file = cx::engine::parseSafetensors(data, size, "fuzz");
    if (!file) return 0;
    for (const auto& [name, blob] : file.value().tensors)
        if (blob.data.size() != size_t(blob.numel()) * cx::engine::dtypeSize(blob.dtype)) std::abort();
    // What parses serialises and parses again to the same tensors.
    const auto again = cx::engine::serializeSafetensors(file.value());
    auto reparsed = cx::engine::parseSafetensors(again.data(), again.size(), "fuzz");
    if (!reparsed || reparsed.value().tensors.size() != file.value().tensors.size()) std::abort();
    return 0;
}
