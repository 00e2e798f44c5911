#include "engine/core/internal/blas_kernels.h"

#include <dlfcn.h>

#include <cstdlib>

namespace cx::engine {
namespace {

// OpenBLAS's functions are looked up at run time so that any BLAS (or none) can be linked.
template <typename Fn>
Fn openblas(const char* name) {
    return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

// OpenBLAS's fallback for an x86-64 CPU it does not recognise.
constexpr const char* kFallback = "Prescott";

const char* kernelsTheCpuRuns() {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
    return nullptr;
}

}  // namespace

std::string blasKernels() {
    auto corename = openblas<char* (*)()>("openblas_get_corename");
    return corename ? std::string(corename()) : std::string();
}

void chooseBlasKernels() {
    if (std::getenv("OPENBLAS_CORETYPE")) return;  // the user's choice
    auto quit = openblas<void (*)()>("gotoblas_dynamic_quit");
    auto init = openblas<void (*)()>("gotoblas_dynamic_init");
    if (!quit || !init || blasKernels() != kFallback) return;
    const char* better = kernelsTheCpuRuns();
    if (!better) return;
    // A dynamic-architecture OpenBLAS reads OPENBLAS_CORETYPE when it (re)initialises its kernel
    // table. Set for this process, the choice also reaches the processes it starts.
    setenv("OPENBLAS_CORETYPE", better, 1);
    quit();
    init();
}

}  // namespace cx::engine
