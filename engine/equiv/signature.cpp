#include "engine/equiv/signature.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace cx::engine {
namespace {

Status checkUnit(const ThresholdUnit& u) {
    if (u.inputs.size() != u.weights.size())
        return invalidInput(u.name + ": " + std::to_string(u.inputs.size()) + " inputs but " + std::to_string(u.weights.size()) + " weights");
    if (std::set<int64_t>(u.inputs.begin(), u.inputs.end()).size() != u.inputs.size()) return invalidInput(u.name + ": an input is repeated");
    for (double w : u.weights)
        if (!std::isfinite(w)) return invalidInput(u.name + ": a weight is not a finite number");
    if (!std::isfinite(u.bias)) return invalidInput(u.name + ": the bias is not a finite number");
    return Done{};
}

// The unit's non-zero inputs, ascending by id.
void nonZeroInputs(const ThresholdUnit& u, std::vector<int64_t>& ids, std::vector<double>& w) {
    std::vector<size_t> order(u.inputs.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return u.inputs[a] < u.inputs[b]; });
    for (size_t i : order)
        if (u.weights[i] != 0.0) {
            ids.push_back(u.inputs[i]);
            w.push_back(u.weights[i]);
        }
}

// Enumerates (unless `first` is that enumeration already), then drops the dummy inputs found
// and enumerates the rest again.
Status exactOver(Signature& s, const SignatureOptions& o, JobContext& job, Result<ExcitedStates> first = Error{}) {
    for (;;) {
        auto states = first ? std::move(first) : enumerateExcitedStates(s.weights, s.bias, o.threshold, s.epsilon, job, o.device);
        first = Error{};
        if (!states) return states.error();
        std::vector<int64_t> ids;
        std::vector<double> w;
        for (int i = 0; i < int(s.weights.size()); ++i)
            if (!isDummyInput(states.value(), i)) {
                ids.push_back(s.inputs[size_t(i)]);
                w.push_back(s.weights[size_t(i)]);
            }
        if (ids.size() == s.inputs.size()) {
            s.states = states.take();
            s.chow = chowParameters(s.states);
            return Done{};
        }
        s.droppedInputs += int64_t(s.inputs.size() - ids.size());
        s.inputs = std::move(ids);
        s.weights = std::move(w);
    }
}

}  // namespace

Result<Signature> signatureOf(const ThresholdUnit& unit, const SignatureOptions& o, JobContext& job) {
    if (auto st = checkUnit(unit); !st) return st.error();
    if (o.maxExactFanIn < 0 || o.maxExactFanIn > kMaxEnumeratedInputs)
        return invalidInput("the exact fan-in limit must lie in 0.." + std::to_string(kMaxEnumeratedInputs));
    Signature s;
    s.name = unit.name;
    s.id = unit.id;
    s.bias = unit.bias;
    s.threshold = o.threshold;
    nonZeroInputs(unit, s.inputs, s.weights);
    s.droppedInputs = int64_t(unit.inputs.size() - s.inputs.size());
    double scale = std::abs(unit.bias) + std::abs(o.threshold);
    for (double w : s.weights) scale += std::abs(w);
    s.epsilon = o.epsilon * scale;
    const int n = int(s.inputs.size());
    if (n <= o.maxExactFanIn) {
        if (auto st = exactOver(s, o, job); !st) return st.error();
        return s;
    }
    // Past the limit: the maxExactFanIn largest inputs exactly; the others are provably unable to
    // change the output when their total |w| is below that enumeration's margin.
    std::vector<size_t> bySize(static_cast<size_t>(n));
    std::iota(bySize.begin(), bySize.end(), size_t(0));
    std::stable_sort(bySize.begin(), bySize.end(), [&](size_t a, size_t b) { return std::abs(s.weights[a]) > std::abs(s.weights[b]); });
    Signature large = s;
    large.inputs.clear();
    large.weights.clear();
    double smallSum = 0.0;
    std::vector<size_t> kept(bySize.begin(), bySize.begin() + o.maxExactFanIn);
    std::sort(kept.begin(), kept.end());
    for (size_t i : kept) {
        large.inputs.push_back(s.inputs[i]);
        large.weights.push_back(s.weights[i]);
    }
    for (size_t r = size_t(o.maxExactFanIn); r < bySize.size(); ++r) smallSum += std::abs(s.weights[bySize[r]]);
    // With the signature's own epsilon: the margin does not depend on it, and a proof reuses it.
    auto states = enumerateExcitedStates(large.weights, large.bias, o.threshold, s.epsilon, job, o.device);
    if (!states) return states.error();
    const double margin = states.value().margin;
    if (smallSum + s.epsilon < margin) {
        large.droppedInputs += n - o.maxExactFanIn;
        large.droppedBound = smallSum;
        if (auto st = exactOver(large, o, job, std::move(states)); !st) return st.error();
        return large;
    }
    s.exact = false;
    char note[200];
    std::snprintf(note, sizeof note, "fan-in %d past the exact limit %d: the %d smallest inputs (sum |w| %.4g) could change the output "
                  "(margin %.4g of the rest); compared on %d sampled subsets", n, o.maxExactFanIn, n - o.maxExactFanIn, smallSum,
                  margin, o.samples);
    s.note = note;
    return s;
}

ThresholdUnit restrictedTo(const ThresholdUnit& unit, const std::vector<int64_t>& keep) {
    const std::set<int64_t> allowed(keep.begin(), keep.end());
    ThresholdUnit out{unit.name, unit.id, {}, {}, unit.bias};
    for (size_t i = 0; i < unit.inputs.size(); ++i)
        if (allowed.count(unit.inputs[i])) {
            out.inputs.push_back(unit.inputs[i]);
            out.weights.push_back(unit.weights[i]);
        }
    return out;
}

double excitation(const Signature& s, const std::vector<int64_t>& on) {
    double sum = 0.0;
    for (int64_t id : on) {
        const auto it = std::lower_bound(s.inputs.begin(), s.inputs.end(), id);
        if (it != s.inputs.end() && *it == id) sum += s.weights[size_t(it - s.inputs.begin())];
    }
    return sum + s.bias - s.threshold;
}

}  // namespace cx::engine
