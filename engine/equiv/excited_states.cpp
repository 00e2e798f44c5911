// Subset sums as lowSums[low] + (highSums[high] + bias - threshold): the low inputs' 2^L sums are
// shared by every high subset, so a block of 2^L subsets costs one add and two compares a subset,
// packed 64 to a word. The GPU path computes the same sums in the same order (IEEE double adds),
// so its bits equal the CPU's.
#include "engine/equiv/excited_states.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <thread>

#include <torch/torch.h>

#include "engine/core/internal/guard.h"

namespace cx::engine {
namespace {

constexpr int kLowInputs = 12;  // 4,096 shared low sums

std::vector<double> subsetSums(const std::vector<double>& w, size_t from, int count) {
    std::vector<double> sums(size_t(1) << count, 0.0);
    for (uint64_t s = 1; s < sums.size(); ++s) sums[s] = sums[s & (s - 1)] + w[from + size_t(__builtin_ctzll(s))];
    return sums;
}

struct Block {
    double minMargin = INFINITY;
};

// High subsets [begin, end) into their words.
void fillWords(const std::vector<double>& low, const std::vector<double>& high, double offset, double epsilon, int lowInputs,
               uint64_t begin, uint64_t end, ExcitedStates& out, Block& block, const JobContext& job, std::atomic<bool>& stop) {
    const uint64_t lowCount = uint64_t(1) << lowInputs;
    const uint64_t wordsPerHigh = std::max<uint64_t>(1, lowCount / 64);
    for (uint64_t h = begin; h < end; ++h) {
        if ((h & 255) == 0 && (stop.load(std::memory_order_relaxed) || job.cancelled())) {
            stop = true;
            return;
        }
        const double base = high[h] + offset;
        for (uint64_t k = 0; k < wordsPerHigh; ++k) {
            uint64_t e = 0, a = 0;
            const uint64_t bits = std::min<uint64_t>(64, lowCount);
            for (uint64_t j = 0; j < bits; ++j) {
                const double x = low[k * 64 + j] + base;
                const double ax = std::fabs(x);
                e |= uint64_t(x > 0.0) << j;
                a |= uint64_t(ax <= epsilon) << j;
                block.minMargin = std::min(block.minMargin, ax);
            }
            out.excited[h * wordsPerHigh + k] = e;
            out.ambiguous[h * wordsPerHigh + k] = a;
        }
    }
}

Status fillOnCpu(const std::vector<double>& low, const std::vector<double>& high, double offset, double epsilon, int lowInputs,
                 ExcitedStates& out, const JobContext& job) {
    const uint64_t highs = high.size();
    const unsigned threads = unsigned(std::clamp<uint64_t>(std::thread::hardware_concurrency(), 1, std::min<uint64_t>(highs, 64)));
    std::vector<Block> blocks(threads);
    std::atomic<bool> stop{false};
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
        const uint64_t begin = highs * t / threads, end = highs * (t + 1) / threads;
        pool.emplace_back([&, t, begin, end] { fillWords(low, high, offset, epsilon, lowInputs, begin, end, out, blocks[t], job, stop); });
    }
    for (auto& th : pool) th.join();
    if (stop) return cancelledError();
    out.margin = INFINITY;
    for (const auto& b : blocks) out.margin = std::min(out.margin, b.minMargin);
    return Done{};
}

// Bits of a bool tensor (..., 64) packed into int64 words, bit j = element j.
torch::Tensor packBits(const torch::Tensor& bits) {
    std::vector<int64_t> powers;
    for (int64_t j = 0; j < bits.size(-1); ++j) powers.push_back(int64_t(uint64_t(1) << j));  // bit 63: INT64_MIN
    const auto weights = torch::tensor(powers, torch::kInt64).to(bits.device());
    return (bits.to(torch::kInt64) * weights).sum(-1);  // distinct bits: the sum is their OR
}

Status fillOnDevice(const std::vector<double>& low, const std::vector<double>& high, double offset, double epsilon, int lowInputs,
                    ExcitedStates& out, const JobContext& job, const std::string& device) {
    torch::NoGradGuard noGrad;
    const auto options = torch::TensorOptions().dtype(torch::kFloat64).device(torch::Device(device));
    const auto lowT = torch::tensor(low, torch::kFloat64).to(options.device());
    const auto highT = torch::tensor(high, torch::kFloat64).to(options.device());
    const int64_t lowCount = int64_t(1) << lowInputs, perWord = std::min<int64_t>(64, lowCount);
    const int64_t chunk = std::max<int64_t>(1, (int64_t(1) << 24) / lowCount);  // 16 M subsets at a time
    out.margin = INFINITY;
    for (int64_t from = 0; from < int64_t(high.size()); from += chunk) {
        if (job.cancelled()) return cancelledError();
        const int64_t n = std::min<int64_t>(chunk, int64_t(high.size()) - from);
        const auto x = lowT.unsqueeze(0) + (highT.narrow(0, from, n) + offset).unsqueeze(1);  // n x 2^L
        const auto ax = x.abs();
        out.margin = std::min(out.margin, ax.min().item<double>());
        const auto words = lowCount >= 64 ? lowCount / 64 : 1;
        auto e = packBits((x > 0.0).reshape({n * words, perWord}).contiguous()).cpu();
        auto a = packBits((ax <= epsilon).reshape({n * words, perWord}).contiguous()).cpu();
        std::memcpy(out.excited.data() + from * words, e.data_ptr<int64_t>(), size_t(n * words) * 8);
        std::memcpy(out.ambiguous.data() + from * words, a.data_ptr<int64_t>(), size_t(n * words) * 8);
    }
    return Done{};
}

}  // namespace

Result<ExcitedStates> enumerateExcitedStates(const std::vector<double>& weights, double bias, double threshold, double epsilon,
                                             JobContext& job, const std::string& device) {
    const int n = int(weights.size());
    if (n > kMaxEnumeratedInputs)
        return invalidInput("a unit with " + std::to_string(n) + " inputs has 2^" + std::to_string(n) +
                            " input subsets: past the enumeration limit of " + std::to_string(kMaxEnumeratedInputs) + " inputs");
    for (double w : weights)
        if (!std::isfinite(w)) return invalidInput("a weight is not a finite number");
    if (!std::isfinite(bias) || !std::isfinite(threshold)) return invalidInput("the bias or the threshold is not a finite number");
    if (!(epsilon >= 0.0)) return invalidInput("epsilon must be 0 or more");
    return guarded<ExcitedStates>("excited states", [&]() -> Result<ExcitedStates> {
        const int lowInputs = std::min(n, kLowInputs);
        const auto low = subsetSums(weights, 0, lowInputs);
        const auto high = subsetSums(weights, size_t(lowInputs), n - lowInputs);
        ExcitedStates out;
        out.inputs = n;
        const uint64_t words = std::max<uint64_t>(1, (uint64_t(1) << n) / 64);
        out.excited.assign(words, 0);
        out.ambiguous.assign(words, 0);
        const double offset = bias - threshold;
        const Status st = device.rfind("cuda", 0) == 0 ? fillOnDevice(low, high, offset, epsilon, lowInputs, out, job, device)
                                                      : fillOnCpu(low, high, offset, epsilon, lowInputs, out, job);
        if (!st) return st.error();
        for (uint64_t w : out.excited) out.excitedCount += __builtin_popcountll(w);
        return out;
    });
}

// The bits j of a word with bit i of j set (i < 6).
static uint64_t lowPattern(int i) {
    uint64_t pattern = 0;
    for (int j = 0; j < 64; ++j) pattern |= uint64_t((j >> i) & 1) << j;
    return pattern;
}

std::vector<int64_t> chowParameters(const ExcitedStates& s) {
    std::vector<int64_t> chow(size_t(s.inputs), 0);
    uint64_t patterns[6];
    for (int i = 0; i < 6; ++i) patterns[i] = lowPattern(i);
    for (size_t k = 0; k < s.excited.size(); ++k) {
        const uint64_t word = s.excited[k];
        if (!word) continue;
        const int64_t count = __builtin_popcountll(word);
        for (int i = 0; i < s.inputs; ++i)
            chow[size_t(i)] += i < 6 ? __builtin_popcountll(word & patterns[i]) : ((k >> (i - 6)) & 1) ? count : 0;
    }
    return chow;
}

bool isDummyInput(const ExcitedStates& s, int i) {
    if (i < 6) {
        const int shift = 1 << i;
        const uint64_t clear = ~lowPattern(i);  // subsets without input i; their partner is `shift` bits up
        for (size_t k = 0; k < s.excited.size(); ++k) {
            const uint64_t e = s.excited[k];
            if ((e ^ (e >> shift)) & clear) return false;
        }
        return true;
    }
    const size_t step = size_t(1) << (i - 6);
    for (size_t k = 0; k < s.excited.size(); ++k) {
        if (k & step) continue;
        if (s.excited[k] ^ s.excited[k | step]) return false;
    }
    return true;
}

bool sameExcitedStates(const ExcitedStates& a, const ExcitedStates& b) {
    if (a.inputs != b.inputs) return false;
    for (size_t k = 0; k < a.excited.size(); ++k)
        if ((a.excited[k] ^ b.excited[k]) & ~(a.ambiguous[k] | b.ambiguous[k])) return false;
    return true;
}

}  // namespace cx::engine
