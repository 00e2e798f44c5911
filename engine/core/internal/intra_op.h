#pragma once
// Work split over LibTorch's intra-op threads, from code built without OpenMP.
// at::parallel_for is a header template: compiled without -fopenmp (LibTorch's CMake config
// passes none, and this project adds no OpenMP runtime of its own) it runs every chunk on the
// calling thread. TensorIterator::for_each runs at::parallel_for inside LibTorch, on its threads,
// and splits [0, n) exactly as LibTorch splits its own elementwise ops.
#include <cstdint>
#include <functional>

#include <ATen/TensorIterator.h>

namespace cx::engine {

/// Calls `chunk(begin, end)` for consecutive chunks covering [0, n), concurrently on LibTorch's
/// intra-op threads where n is above `grain` (LibTorch's elementwise grain by default), else once
/// on the calling thread. Returns when every chunk has run; an exception in one is rethrown.
void parallelChunks(int64_t n, const std::function<void(int64_t begin, int64_t end)>& chunk,
                    int64_t grain = at::internal::GRAIN_SIZE);

}  // namespace cx::engine
