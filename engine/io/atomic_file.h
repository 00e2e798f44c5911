#pragma once
// Crash-safe file writes: data goes to a temporary file beside the target, is flushed to
// disk, then renamed over the target. A failure or a crash never leaves a half-written file.
#include <string>

#include "engine/core/error.h"

namespace cx::engine {

Status writeFileAtomic(const std::string& path, const void* data, size_t size);
Status writeFileAtomic(const std::string& path, const std::string& text);

}  // namespace cx::engine
