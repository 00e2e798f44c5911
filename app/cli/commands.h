#pragma once
// The `cx` subcommands. Each returns the process exit code: 0 success, 1 failure, 2 bad input.
#include <string>
#include <vector>

#include "engine/error.h"

namespace cx::app {

int runInspect(const std::vector<std::string>& args);
int runDemo(const std::vector<std::string>& args);

/// Prints `error: message` on stderr and returns 2 for bad input, 1 otherwise.
int reportError(const engine::Error& error);
int usageError(const std::string& message);

/// The resources folder (demo model and metadata): $CX_RESOURCES, the installed share
/// folder, or the source tree the binary was built from.
std::string resourceDir();

}  // namespace cx::app
