#include "engine/core/internal/intra_op.h"

#include <torch/torch.h>

namespace cx::engine {

void parallelChunks(int64_t n, const std::function<void(int64_t, int64_t)>& chunk, int64_t grain) {
    if (n <= 0) return;
    // An iterator over n bytes that are never read or written: its data pointers, offset into the
    // chunk, give each chunk's start.
    const auto index = torch::empty({n}, torch::kUInt8);
    auto iter = at::TensorIteratorConfig().add_output(index).set_check_mem_overlap(false).check_all_same_dtype(false).resize_outputs(false).build();
    const char* base = static_cast<const char*>(index.data_ptr());
    iter.for_each(
        [&](char** data, const int64_t* strides, int64_t size0, int64_t size1) {
            // One-dimensional: one row (size1 is 1), unit stride.
            for (int64_t row = 0; row < size1; ++row) {
                const int64_t begin = (data[0] + row * strides[1]) - base;
                chunk(begin, begin + size0);
            }
        },
        grain);
}

}  // namespace cx::engine
