#pragma once
// The one way the engine reads a file: regular files only (a folder, FIFO, socket or device is
// refused with the reason, and a FIFO never blocks the open), and never more bytes than the file
// holds or than the input limit allows, checked before anything is allocated. Plain C++.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace cx::engine {

/// The largest input file read into memory: CX_MAX_INPUT_BYTES when set (a byte count), else
/// half of the machine's memory.
uint64_t maxInputBytes();

/// InvalidInput unless `path` names a readable regular file no larger than `limit` bytes
/// (0: maxInputBytes()). `what` names the file's role in messages ("model", "mask file").
Status checkInputFile(const std::string& path, const std::string& what, uint64_t limit = 0);

/// The whole file, after checkInputFile.
Result<std::vector<uint8_t>> readInputFile(const std::string& path, const std::string& what, uint64_t limit = 0);

}  // namespace cx::engine
