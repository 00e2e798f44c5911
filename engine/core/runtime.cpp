#include "engine/core/runtime.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <thread>

#include <torch/torch.h>

#include "engine/core/internal/allocator_tuning.h"
#include "engine/core/internal/blas_kernels.h"
#include "engine/core/internal/guard.h"

namespace cx::engine {

std::string firstLine(const std::string& text) {
    // TorchScript compiler messages start with an empty line.
    const auto start = text.find_first_not_of("\n \t");
    if (start == std::string::npos) return {};
    const auto end = text.find('\n', start);
    return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string errorReason(const std::string& text) {
    const std::string first = firstLine(text);
    if (first.rfind("The following operation failed in the TorchScript interpreter", 0) != 0) return first;
    // The interpreter's own line, then a traceback of the model's code, then the error itself.
    for (const char* marker : {"RuntimeError: ", "ValueError: ", "IndexError: ", "AssertionError: ", "Exception: "}) {
        const auto at = text.rfind(marker);
        if (at != std::string::npos) return firstLine(text.substr(at));
    }
    return first;
}

void initRuntime() {
    static std::once_flag once;
    std::call_once(once, [] {
        const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
        torch::set_num_threads(static_cast<int>(cores));
        // LibTorch parallelises over its own OpenMP threads and calls the BLAS from each of them;
        // a multi-threaded OpenBLAS then starts threads of its own on the same cores. Measured
        // here (2 cores): a truncated forward of the demo CNN takes 0.65 s instead of 0.17 s.
        // Looked up at run time so that any BLAS (or none) can be linked.
        using SetThreads = void (*)(int);
        if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
        chooseBlasKernels();
        keepFreedMemoryForReuse();
    });
}

namespace {

// Empty until the GUI chooses; then "auto" or "cpu". Read from every worker thread.
std::mutex choiceMutex;
std::string chosenDevice;

}  // namespace

bool cudaAvailable() { return torch::cuda::is_available(); }

bool setDeviceChoice(const std::string& choice) {
    if (!choice.empty() && choice != "auto" && choice != "cpu") return false;
    std::lock_guard<std::mutex> lock(choiceMutex);
    chosenDevice = choice;
    return true;
}

std::string defaultDevice() {
    std::string choice;
    {
        std::lock_guard<std::mutex> lock(choiceMutex);
        choice = chosenDevice;
    }
    if (choice.empty()) {
        const char* forced = std::getenv("CX_DEVICE");
        if (forced && std::string(forced) == "cpu") choice = "cpu";
    }
    if (choice == "cpu") return "cpu";
    return cudaAvailable() ? "cuda" : "cpu";
}

std::string deviceDescription() {
    initRuntime();
    if (defaultDevice() == "cuda") return "CUDA, " + std::to_string(torch::cuda::device_count()) + " device(s)";
    return "CPU, " + std::to_string(torch::get_num_threads()) + " threads";
}

}  // namespace cx::engine
