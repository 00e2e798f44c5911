// Exact comparisons enumerate; approximate ones sample subsets with a seeded generator, so a run
// is repeatable. The matching is Kuhn's augmenting paths over the pairs found equal (layers of
// circuits are small; the comparisons, not the matching, are the cost).
#include "engine/equiv/equivalence.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>

namespace cx::engine {
namespace {

bool anyAmbiguous(const Signature& s) {
    for (uint64_t w : s.states.ambiguous)
        if (w) return true;
    return false;
}

// Agreement on sampled subsets: `pairs` lists (A input, B input) that switch together.
UnitComparison sampled(const Signature& a, const Signature& b, const std::vector<std::pair<int64_t, int64_t>>& pairs,
                       const SignatureOptions& o) {
    UnitComparison out;
    out.exact = false;
    out.inputMap = pairs;
    std::mt19937_64 rng(o.seed ^ (uint64_t(pairs.size()) * 0x9E3779B97F4A7C15ull));
    std::vector<int64_t> onA, onB;
    for (int s = 0; s < o.samples + 2; ++s) {
        onA.clear();
        onB.clear();
        for (const auto& [ia, ib] : pairs) {
            const bool on = s == 0 ? false : s == 1 ? true : (rng() & 1u);
            if (!on) continue;
            onA.push_back(ia);
            onB.push_back(ib);
        }
        std::sort(onA.begin(), onA.end());
        std::sort(onB.begin(), onB.end());
        const double xa = excitation(a, onA), xb = excitation(b, onB);
        if (std::abs(xa) <= a.epsilon || std::abs(xb) <= b.epsilon) continue;
        if ((xa > 0) != (xb > 0)) {
            out.reason = "a sampled input subset excites one and not the other";
            return out;
        }
    }
    out.equal = true;
    return out;
}

std::vector<std::pair<int64_t, int64_t>> identityPairs(const Signature& a, const Signature& b) {
    std::set<int64_t> ids(a.inputs.begin(), a.inputs.end());
    ids.insert(b.inputs.begin(), b.inputs.end());
    std::vector<std::pair<int64_t, int64_t>> out;
    for (int64_t id : ids) out.push_back({id, id});
    return out;
}

Result<UnitComparison> compareSame(const Signature& a, const Signature& b, const SignatureOptions& o) {
    if (!a.exact || !b.exact) return sampled(a, b, identityPairs(a, b), o);
    UnitComparison out;
    out.inputMap = identityPairs(a, b);
    if (a.inputs != b.inputs) {
        out.reason = "they depend on different inputs (" + std::to_string(a.inputs.size()) + " and " + std::to_string(b.inputs.size()) + ")";
        return out;
    }
    out.equal = sameExcitedStates(a.states, b.states);
    if (!out.equal) out.reason = "an input subset excites one and not the other";
    return out;
}

// Indices ordered by (Chow parameter, weight): the pairing order of the permuted comparison.
std::vector<size_t> chowOrder(const Signature& s) {
    std::vector<size_t> order(s.inputs.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
        if (!s.chow.empty() && s.chow[x] != s.chow[y]) return s.chow[x] < s.chow[y];
        return s.weights[x] < s.weights[y];
    });
    return order;
}

Result<UnitComparison> comparePermuted(const Signature& a, const Signature& b, const SignatureOptions& o, JobContext& job) {
    UnitComparison out;
    if (a.inputs.size() != b.inputs.size()) {
        out.reason = "they depend on " + std::to_string(a.inputs.size()) + " and " + std::to_string(b.inputs.size()) + " inputs";
        return out;
    }
    const auto oa = chowOrder(a), ob = chowOrder(b);
    std::vector<std::pair<int64_t, int64_t>> pairs;
    for (size_t r = 0; r < oa.size(); ++r) pairs.push_back({a.inputs[oa[r]], b.inputs[ob[r]]});
    if (!a.exact || !b.exact) return sampled(a, b, pairs, o);
    out.inputMap = pairs;
    std::sort(out.inputMap.begin(), out.inputMap.end());
    const bool tolerant = anyAmbiguous(a) || anyAmbiguous(b);
    if (!tolerant) {
        auto ca = a.chow, cb = b.chow;
        std::sort(ca.begin(), ca.end());
        std::sort(cb.begin(), cb.end());
        if (a.states.excitedCount != b.states.excitedCount || ca != cb) {
            out.reason = "their excited-state counts per input differ, so no permutation makes them equal";
            return out;
        }
    }
    // B's weights in A's input order, enumerated: the pairing verified subset by subset.
    std::vector<double> permuted(a.inputs.size());
    for (size_t r = 0; r < oa.size(); ++r) permuted[oa[r]] = b.weights[ob[r]];
    auto states = enumerateExcitedStates(permuted, b.bias, b.threshold, b.epsilon, job, o.device);
    if (!states) return states.error();
    out.equal = sameExcitedStates(a.states, states.value());
    if (!out.equal) out.reason = "the pairing by excited-state counts does not make them equal";
    return out;
}

// Kuhn's augmenting path from A's unit `u`.
bool augment(size_t u, const std::vector<std::vector<size_t>>& edges, std::vector<long>& partnerOfB, std::vector<char>& seen) {
    for (size_t v : edges[u]) {
        if (seen[v]) continue;
        seen[v] = 1;
        if (partnerOfB[v] < 0 || augment(size_t(partnerOfB[v]), edges, partnerOfB, seen)) {
            partnerOfB[v] = long(u);
            return true;
        }
    }
    return false;
}

ThresholdUnit renamed(const ThresholdUnit& u, const std::vector<std::pair<int64_t, int64_t>>& map) {
    std::map<int64_t, int64_t> to(map.begin(), map.end());
    ThresholdUnit out = u;
    for (auto& id : out.inputs) id = to.count(id) ? to.at(id) : -1 - id;  // unmapped: an id no B input has
    return out;
}

double bitsetBytes(const Signature& s) { return s.exact ? std::ldexp(1.0, int(s.inputs.size())) / 4.0 : 0.0; }

bool holdsAll(const ThresholdUnit& unit, const std::vector<int64_t>& ids) {
    std::set<int64_t> have;
    for (size_t i = 0; i < unit.inputs.size(); ++i)
        if (unit.weights[i] != 0.0) have.insert(unit.inputs[i]);
    for (int64_t id : ids)
        if (!have.count(id)) return false;
    return true;
}

}  // namespace

Result<UnitComparison> compareUnits(const Signature& a, const Signature& b, InputMatch mode, const SignatureOptions& options,
                                    JobContext& job) {
    return mode == InputMatch::Same ? compareSame(a, b, options) : comparePermuted(a, b, options, job);
}

Result<LayerMatching> matchLayer(const std::vector<ThresholdUnit>& aUnits, const std::vector<ThresholdUnit>& b, InputMatch mode,
                                 bool contains, const SignatureOptions& o, JobContext& job,
                                 const std::vector<std::pair<int64_t, int64_t>>* inputMap, double memoryBudget,
                                 const std::vector<std::vector<double>>* similarity, double minSimilarity) {
    if (similarity && (similarity->size() != aUnits.size() || (!similarity->empty() && similarity->front().size() != b.size())))
        return invalidInput("the similarity matrix is not A's units x B's");
    LayerMatching out;
    double bytes = 0.0;
    auto make = [&](const ThresholdUnit& u, std::vector<Signature>& into) -> Status {
        auto s = signatureOf(u, o, job);
        if (!s) return s.error();
        // An approximate signature enumerated its maxExactFanIn largest inputs (the margin test).
        out.enumeratedSubsets += std::ldexp(1.0, s.value().exact ? int(s.value().inputs.size()) : o.maxExactFanIn);
        bytes += bitsetBytes(s.value());
        if (bytes > memoryBudget)
            return invalidInput("the exact signatures of these layers would need more than " + std::to_string(int64_t(memoryBudget / 1048576)) +
                                " MiB (lower the exact fan-in limit to compare the larger units approximately)");
        into.push_back(s.take());
        return Done{};
    };
    std::vector<ThresholdUnit> a;
    for (const auto& u : aUnits) a.push_back(inputMap ? renamed(u, *inputMap) : u);
    std::vector<Signature> sa, sb;
    for (size_t i = 0; i < a.size(); ++i) {
        if (job.cancelled()) return cancelledError();
        if (auto st = make(a[i], sa); !st) return st.error();
        job.progress("signatures", double(i + 1) / double(a.size() + (contains ? 0 : b.size())));
    }
    const bool restrict = contains && mode == InputMatch::Same;  // a permuted unit has no A inputs to restrict B to
    if (!restrict)
        for (const auto& u : b) {
            if (job.cancelled()) return cancelledError();
            if (auto st = make(u, sb); !st) return st.error();
        }
    std::vector<std::vector<size_t>> edges(a.size());
    std::map<std::pair<size_t, size_t>, UnitComparison> found;
    for (size_t i = 0; i < a.size(); ++i) {
        if (job.cancelled()) return cancelledError();
        for (size_t j = 0; j < b.size(); ++j) {
            if (similarity && (*similarity)[i][j] < minSimilarity) continue;
            Result<UnitComparison> c = Error{ErrorCode::Internal, "not compared"};
            if (restrict) {
                if (!holdsAll(b[j], sa[i].inputs)) continue;
                ++out.candidates;
                std::vector<Signature> one;
                if (auto st = make(restrictedTo(b[j], sa[i].inputs), one); !st) return st.error();
                bytes -= bitsetBytes(one.front());  // not kept
                c = compareUnits(sa[i], one.front(), mode, o, job);
            } else {
                if (mode == InputMatch::Same ? sa[i].inputs != sb[j].inputs : sa[i].inputs.size() != sb[j].inputs.size()) continue;
                ++out.candidates;
                c = compareUnits(sa[i], sb[j], mode, o, job);
            }
            if (!c) return c.error();
            ++out.compared;
            if (c.value().equal) {
                edges[i].push_back(j);
                found[{i, j}] = c.take();
            }
        }
        job.progress("compare", double(i + 1) / double(a.size()));
    }
    // Kuhn's algorithm takes the first free partner it tries: a unit's namesake first, so the
    // identity wins wherever it is one of the answers (two circuits of one model).
    for (size_t i = 0; i < a.size(); ++i) {
        std::stable_partition(edges[i].begin(), edges[i].end(), [&](size_t j) { return b[j].id == aUnits[i].id; });
        out.alternatives = out.alternatives || edges[i].size() > 1;
    }
    std::vector<long> partnerOfB(b.size(), -1);
    for (size_t i = 0; i < a.size(); ++i) {
        std::vector<char> seen(b.size(), 0);
        augment(i, edges, partnerOfB, seen);
    }
    std::vector<long> partnerOfA(a.size(), -1);
    for (size_t j = 0; j < b.size(); ++j)
        if (partnerOfB[j] >= 0) partnerOfA[size_t(partnerOfB[j])] = long(j);
    for (size_t i = 0; i < a.size(); ++i) {
        if (partnerOfA[i] < 0) {
            out.unmatched.push_back(i);
            continue;
        }
        out.pairs.push_back({i, size_t(partnerOfA[i])});
        out.comparisons.push_back(found.at({i, size_t(partnerOfA[i])}));
        out.exact = out.exact && out.comparisons.back().exact;
    }
    out.contained = out.unmatched.empty();
    return out;
}

Result<NetworkContainment> containNetwork(const std::vector<std::vector<ThresholdUnit>>& a,
                                          const std::vector<std::vector<ThresholdUnit>>& b, InputMatch firstLayer, bool contains,
                                          const SignatureOptions& o, JobContext& job) {
    NetworkContainment best;
    if (a.empty()) return invalidInput("network A has no layer");
    for (size_t offset = 0; offset + a.size() <= b.size(); ++offset) {
        NetworkContainment tried;
        tried.offset = offset;
        std::vector<std::pair<int64_t, int64_t>> map;
        for (size_t k = 0; k < a.size(); ++k) {
            auto m = matchLayer(a[k], b[offset + k], k == 0 ? firstLayer : InputMatch::Same, contains, o, job, k == 0 ? nullptr : &map);
            if (!m) return m.error();
            const bool whole = m.value().contained;
            // The next layer's inputs: through this matching; with the same inputs, a channel A
            // keeps no unit of (a constant, or outside A's circuit) is the same channel in B.
            std::map<int64_t, int64_t> next;
            if (firstLayer == InputMatch::Same && k + 1 < a.size())
                for (const auto& u : a[k + 1])
                    for (int64_t id : u.inputs) next[id] = id;
            for (const auto& [i, j] : m.value().pairs) next[a[k][i].id] = b[offset + k][j].id;
            map.assign(next.begin(), next.end());
            tried.layers.push_back(m.take());
            if (!whole) break;
        }
        tried.contained = tried.layers.size() == a.size() && tried.layers.back().contained;
        for (const auto& l : tried.layers) tried.exhaustive = tried.exhaustive && !l.alternatives;
        if (tried.contained) return tried;
        if (tried.layers.size() > best.layers.size() || best.layers.empty()) best = std::move(tried);
    }
    return best;
}

}  // namespace cx::engine
