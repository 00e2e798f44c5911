#pragma once
// SHA-256 of files and byte strings (FIPS 180-4), for model identity in mask files.
#include <cstdint>
#include <string>

#include "engine/core/error.h"

namespace cx::engine {

/// Lower-case hex digest of `size` bytes.
std::string sha256Hex(const void* data, size_t size);
/// Lower-case hex digest of a file's contents; Io error when it cannot be read.
Result<std::string> sha256File(const std::string& path);

}  // namespace cx::engine
