#pragma once
// The safetensors format, read and written by our own code: an 8-byte little-endian header
// length N, N bytes of JSON ({name: {dtype, shape, data_offsets}, "__metadata__": {k: v}}),
// then the raw little-endian tensor data. Plain C++, no torch.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace cx::engine {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

const char* dtypeName(DType dtype);  // "F32", "U8", ...
size_t dtypeSize(DType dtype);

struct TensorBlob {
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;  // little-endian, row-major

    int64_t numel() const;
};

struct SafetensorsFile {
    std::map<std::string, std::string> metadata;
    std::map<std::string, TensorBlob> tensors;
};

/// Parses bytes; `name` is used in error messages. InvalidInput for any malformed header,
/// unknown dtype, or offsets that do not match the shape or lie outside the data.
Result<SafetensorsFile> parseSafetensors(const uint8_t* bytes, size_t size, const std::string& name);
Result<SafetensorsFile> readSafetensors(const std::string& path);

std::vector<uint8_t> serializeSafetensors(const SafetensorsFile& file);
/// Atomic write (temporary file + rename).
Status writeSafetensors(const std::string& path, const SafetensorsFile& file);

}  // namespace cx::engine
