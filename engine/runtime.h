#pragma once
// Process-wide torch settings and device choice. Plain C++: safe to include from Qt code.
#include <string>

namespace cx::engine {

/// Sets LibTorch's thread count to the core count (it starts with 1 here).
/// Idempotent and thread-safe; every engine entry point calls it.
void initRuntime();

/// "cuda" when the linked LibTorch has CUDA and a GPU is present, otherwise "cpu".
/// CX_DEVICE=cpu in the environment forces the CPU.
std::string defaultDevice();

/// A line for status bars and logs, e.g. "CPU, 2 threads" or "CUDA: NVIDIA H100 (80 GiB)".
std::string deviceDescription();

}  // namespace cx::engine
