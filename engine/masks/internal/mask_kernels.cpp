#include "engine/masks/internal/mask_kernels.h"

#include <mutex>
#include <string>

#include <ATen/Version.h>

namespace cx::engine {

KernelCapability libtorchKernelCapability() {
#if defined(CX_MASK_KERNELS)
    static std::once_flag once;
    static KernelCapability capability = KernelCapability::None;
    std::call_once(once, [] {
        const std::string config = at::show_config();
        if (config.find("CPU capability usage: AVX512") != std::string::npos)
            capability = KernelCapability::Avx512;
        else if (config.find("CPU capability usage: AVX2") != std::string::npos)
            capability = KernelCapability::Avx2;
    });
    return capability;
#else
    return KernelCapability::None;
#endif
}

SoftMaskForwardRange softMaskForwardKernel() {
#if defined(CX_MASK_KERNELS)
    switch (libtorchKernelCapability()) {
        case KernelCapability::Avx512: return mask_kernels_avx512::softMaskForwardRange;
        case KernelCapability::Avx2: return mask_kernels_avx2::softMaskForwardRange;
        case KernelCapability::None: break;
    }
#endif
    return nullptr;
}

AdamRange adamKernel() {
#if defined(CX_MASK_KERNELS)
    switch (libtorchKernelCapability()) {
        case KernelCapability::Avx512: return mask_kernels_avx512::adamRange;
        case KernelCapability::Avx2: return mask_kernels_avx2::adamRange;
        case KernelCapability::None: break;
    }
#endif
    return nullptr;
}

}  // namespace cx::engine
