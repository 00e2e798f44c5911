// Chunks on LibTorch's intra-op threads from code built without OpenMP (intra_op.h).
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/core/internal/intra_op.h"
#include "engine/core/runtime.h"

using namespace cx::engine;

namespace {

struct Chunks {
    std::map<int64_t, int64_t> ranges;  // begin -> end
    std::set<std::thread::id> threads;
};

Chunks chunksOf(int64_t n, int64_t grain = at::internal::GRAIN_SIZE) {
    Chunks out;
    std::mutex guard;
    parallelChunks(
        n,
        [&](int64_t begin, int64_t end) {
            const std::lock_guard<std::mutex> lock(guard);
            out.ranges[begin] = end;
            out.threads.insert(std::this_thread::get_id());
        },
        grain);
    return out;
}

}  // namespace

// The chunks tile [0, n) without gap or overlap, at LibTorch's own split points, and run on
// several threads where LibTorch has them (at::parallel_for compiled here would use one).
TEST(IntraOp, ChunksTileTheRangeAsLibTorchSplitsItsOps) {
    initRuntime();
    for (int64_t n : {1, 10, 32768, 32769, 65543, 784 * 512}) {
        const auto chunks = chunksOf(n);
        int64_t next = 0;
        for (const auto& [begin, end] : chunks.ranges) {
            EXPECT_EQ(begin, next) << n;
            EXPECT_GT(end, begin) << n;
            next = end;
        }
        EXPECT_EQ(next, n);
        const int threads = at::get_num_threads();
        if (n > at::internal::GRAIN_SIZE && threads > 1) {
            // at::parallel_for's split: ceil(n / threads) per thread.
            EXPECT_EQ(int64_t(chunks.ranges.size()), std::min<int64_t>(threads, n)) << n;
            EXPECT_EQ(chunks.ranges.begin()->second, (n + threads - 1) / threads) << n;
            EXPECT_EQ(chunks.threads.size(), chunks.ranges.size()) << n;
        } else {
            EXPECT_EQ(chunks.ranges.size(), 1u) << n;
        }
    }
    EXPECT_TRUE(chunksOf(0).ranges.empty());
    if (at::get_num_threads() > 1) EXPECT_EQ(chunksOf(at::get_num_threads(), 1).threads.size(), size_t(at::get_num_threads()));
}

TEST(IntraOp, AnExceptionInAChunkReachesTheCaller) {
    initRuntime();
    EXPECT_THROW(parallelChunks(1 << 20, [](int64_t, int64_t) { throw std::runtime_error("chunk"); }),
                 std::exception);
}
