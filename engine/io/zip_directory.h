#pragma once
// The size a zip archive unpacks to, read from its central directory (zip64 included) without
// inflating anything: how a zip bomb is seen before it is opened. Plain C++, fuzzed.
#include <cstddef>
#include <cstdint>

#include "engine/core/error.h"

namespace cx::engine {

/// The sum of the uncompressed sizes of the archive's records, from the last `size` bytes of a
/// file of `fileSize` bytes (the end record and the directory must lie in them); InvalidInput
/// when they are missing, malformed or point elsewhere.
Result<uint64_t> zipUnpackedSize(const uint8_t* bytes, size_t size, uint64_t fileSize);

}  // namespace cx::engine
