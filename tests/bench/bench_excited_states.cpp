// Excited-state enumeration speed (seed 004): subsets/s for fan-in 20 and 24 on this machine's
// cores (and the GPU when the build has one), against a plain loop that sums each subset on its
// own, measured side by side in one run. Usage: cx_bench_excited_states [REPEATS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include <torch/torch.h>

#include "engine/equiv/excited_states.h"

using namespace cx::engine;

namespace {

double seconds(const std::chrono::steady_clock::time_point& start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The seed's way, without its Python: every subset summed from scratch.
int64_t plainCount(const std::vector<double>& w, double bias) {
    const int n = int(w.size());
    int64_t count = 0;
    for (uint64_t s = 0; s < (uint64_t(1) << n); ++s) {
        double sum = bias;
        for (int i = 0; i < n; ++i)
            if (s >> i & 1) sum += w[size_t(i)];
        count += sum > 0;
    }
    return count;
}

}  // namespace

int main(int argc, char** argv) {
    const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
    std::mt19937_64 rng(1);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::printf("excited-state enumeration, %u hardware threads\n", std::thread::hardware_concurrency());
    for (int n : {20, 24}) {
        std::vector<double> w;
        for (int i = 0; i < n; ++i) w.push_back(normal(rng));
        JobContext job;
        double best = 1e30;
        int64_t count = 0;
        for (int r = 0; r < repeats; ++r) {
            const auto start = std::chrono::steady_clock::now();
            auto s = enumerateExcitedStates(w, -0.5, 0.0, 1e-9, job);
            best = std::min(best, seconds(start));
            if (!s.ok()) return std::fprintf(stderr, "%s\n", s.error().message.c_str()), 1;
            count = s.value().excitedCount;
        }
        const double subsets = double(uint64_t(1) << n);
        const auto start = std::chrono::steady_clock::now();
        const int64_t plain = plainCount(w, -0.5);
        const double plainSeconds = seconds(start);
        std::printf("fan-in %d: %.3g subsets/s (%.3f s, best of %d); a sum per subset %.3g subsets/s (%.2f s): %.1fx%s\n", n,
                    subsets / best, best, repeats, subsets / plainSeconds, plainSeconds, plainSeconds / best,
                    plain == count ? "" : "  COUNTS DIFFER");
        if (torch::cuda::is_available()) {
            double gpuBest = 1e30;
            for (int r = 0; r < repeats + 1; ++r) {  // the first run warms the device up
                const auto g = std::chrono::steady_clock::now();
                auto s = enumerateExcitedStates(w, -0.5, 0.0, 1e-9, job, "cuda");
                if (r > 0) gpuBest = std::min(gpuBest, seconds(g));
                if (!s.ok() || s.value().excitedCount != count) return std::fprintf(stderr, "GPU differs\n"), 1;
            }
            std::printf("fan-in %d on the GPU: %.3g subsets/s (%.3f s), %.1fx the CPU\n", n, subsets / gpuBest, gpuBest, best / gpuBest);
        }
    }
    return 0;
}
