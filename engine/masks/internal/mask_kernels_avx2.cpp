// Built with -mavx2 -mfma and CPU_CAPABILITY=AVX2, as LibTorch builds its AVX2 kernels
// (engine/CMakeLists.txt); run only where LibTorch runs those.
#define CX_MASK_KERNELS_NAMESPACE mask_kernels_avx2
#include "engine/masks/internal/mask_kernels.h"
#include "engine/masks/internal/soft_mask_forward_kernel.h"
#include "engine/masks/internal/adam_step_kernel.h"
