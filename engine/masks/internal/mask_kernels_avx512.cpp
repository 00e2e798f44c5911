// Built with -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma and CPU_CAPABILITY=AVX512, as
// LibTorch builds its AVX-512 kernels (engine/CMakeLists.txt); run only where LibTorch runs those.
#define CX_MASK_KERNELS_NAMESPACE mask_kernels_avx512
#include "engine/masks/internal/mask_kernels.h"
#include "engine/masks/internal/soft_mask_forward_kernel.h"
#include "engine/masks/internal/adam_step_kernel.h"
