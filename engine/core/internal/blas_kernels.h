#pragma once
// OpenBLAS picks its kernels for the CPU when it loads. Debian 12's OpenBLAS 0.3.21 does not know
// CPUs newer than itself (Sapphire and Emerald Rapids among them) and falls back to its SSE3
// "Prescott" kernels, which run matrix products 2-3x slower than the AVX-512 ones the CPU can
// run. This chooses the kernels the CPU's features allow when OpenBLAS fell back, and only then.
#include <string>

namespace cx::engine {

/// Switches OpenBLAS from its fallback kernels to SkylakeX (AVX-512) or Haswell (AVX2 + FMA)
/// kernels where the CPU has those features. Leaves it alone when OPENBLAS_CORETYPE is set,
/// when OpenBLAS recognised the CPU, or when the BLAS is not OpenBLAS. Call before any BLAS work.
void chooseBlasKernels();

/// The kernels OpenBLAS uses ("SkylakeX", "Haswell", ...), or "" for another BLAS.
std::string blasKernels();

}  // namespace cx::engine
