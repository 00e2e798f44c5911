// Built with -mavx2 -mfma and CPU_CAPABILITY=AVX2, as LibTorch builds its AVX2 kernels
// (engine/CMakeLists.txt); run only where LibTorch runs those.
#define CX_SOFT_MASK_NAMESPACE soft_mask_avx2
#include "engine/masks/internal/soft_mask_forward_kernel.h"
