#pragma once
// Checks on a TorchScript archive before and after LibTorch reads it. LibTorch 1.13 trusts the
// archive: a zip whose records unpack to far more than the file (a zip bomb) is inflated in
// full, and a tensor whose storage record is shorter than its sizes and strides claim is read
// past its end. Both are refused here with the reason.
#include <cstdint>
#include <string>

#include <torch/script.h>

#include "engine/core/error.h"

namespace cx::engine {

/// The sum of the archive's uncompressed record sizes, from its zip central directory (zip64
/// included); InvalidInput when the directory is malformed.
Result<uint64_t> unpackedSize(const std::string& path);

/// InvalidInput when the archive unpacks to more than its size plus 1 GiB (or, with
/// CX_MAX_INPUT_BYTES set, than that) or than the input limit.
Status checkArchiveSize(const std::string& path);

/// torch::jit::load with the checks: the archive's unpacked size first; then every parameter,
/// buffer and graph constant must fit in its storage, and each storage in the bytes its record
/// really holds (LibTorch sizes a storage from the pickle, not from the record it read; the
/// record sizes are taken from the CPU allocations made while loading). A load error comes back
/// as InvalidInput with LibTorch's reason.
Result<torch::jit::Module> loadCheckedArchive(const std::string& path);

}  // namespace cx::engine
