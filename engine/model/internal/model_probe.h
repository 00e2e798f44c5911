#pragma once
// LibTorch 1.13 can crash (SIGSEGV) on a crafted archive inside its own reader: the fuzzer
// found one in the TorchScript source parser (ScriptTypeParser::parseClassConstant). No check
// before the load can rule that out, so a model file is first opened by a separate process
// (`cx inspect FILE`, when a prober is set: engine/core/runtime.h setModelProber). A file that
// kills that process, or that it refuses, is refused here without ever being read in this one. Plain C++.
#include <string>

#include "engine/core/error.h"

namespace cx::engine {

/// Done when no prober is set, or when the prober read this file (same path, size and
/// modification time, now or before) without an error. InvalidInput when the prober died of a
/// signal, or refused the file (its error line is the message: the reader's failures on crafted
/// files are not all repeatable, so such a file is not read here either); Cancelled when this
/// thread's job was interrupted while waiting.
Status probeModelFile(const std::string& path);

/// The last line the prober wrote to stderr for `path` (its `error: ...` line), or "".
std::string probedError(const std::string& path);

/// Whether this process is the prober (CX_NO_MODEL_PROBE is set): it may risk what the
/// parent must not, such as formatting LibTorch's source-located error reports.
bool isModelProber();

}  // namespace cx::engine
