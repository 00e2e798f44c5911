#pragma once
// Process-wide torch settings and device choice. Plain C++: safe to include from Qt code.
#include <string>

namespace cx::engine {

/// Sets LibTorch's thread count to the core count (it starts with 1 here).
/// Idempotent and thread-safe; every engine entry point calls it.
void initRuntime();

/// The device every engine computation runs on: "cuda" when the linked LibTorch has CUDA and
/// a GPU is present, otherwise "cpu". CX_DEVICE=cpu in the environment, or a choice made with
/// setDeviceChoice, forces the CPU.
std::string defaultDevice();

/// "auto" (the GPU when present) or "cpu". The GUI's Device menu sets it; it outranks
/// CX_DEVICE. "" returns to the environment's rule. Returns false (and changes nothing) for
/// any other text.
bool setDeviceChoice(const std::string& choice);
/// Whether a CUDA device can be used at all (what "auto" would pick).
bool cudaAvailable();

/// Model files are first opened by `cxBinary inspect FILE` in a child process, and a file that
/// crashes LibTorch's reader there is refused with the reason instead of being read in this
/// process (engine/model/internal/model_probe.h). cx and the GUI set it to the cx binary; "" turns
/// it off. Ignored in a process whose environment has CX_NO_MODEL_PROBE (the prober itself).
void setModelProber(const std::string& cxBinary);
constexpr const char* kNoProbeVariable = "CX_NO_MODEL_PROBE";

/// A line for status bars and logs, e.g. "CPU, 2 threads" or "CUDA: NVIDIA H100 (80 GiB)".
std::string deviceDescription();

}  // namespace cx::engine
