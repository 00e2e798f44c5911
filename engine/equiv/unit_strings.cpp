#include "engine/equiv/unit_strings.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace cx::engine {

std::vector<std::string> unitTokens(const ThresholdUnit& u, const StringOptions& o) {
    double largest = 0.0;
    for (double w : u.weights) largest = std::max(largest, std::abs(w));
    std::vector<size_t> order(u.weights.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return std::abs(u.weights[x]) > std::abs(u.weights[y]); });
    std::vector<std::string> tokens;
    for (size_t i : order) {
        const double w = u.weights[i];
        if (largest == 0.0 || std::abs(w) < o.minShare * largest || int(tokens.size()) >= o.maxTokens) break;
        const std::string sign = w > 0 ? "+" : "-";
        if (o.permutationInvariant) {
            const int size = std::clamp(int(std::ceil(4.0 * std::abs(w) / largest)), 1, 4);
            tokens.push_back(sign + std::to_string(size));
        } else {
            tokens.push_back(sign + std::to_string(u.inputs[i]) + "->" + std::to_string(u.id));
        }
    }
    tokens.push_back(u.bias > 0 ? "b+" : "b-");
    return tokens;
}

std::string layerString(const std::vector<ThresholdUnit>& units, const StringOptions& o) {
    std::ostringstream out;
    for (const auto& u : units) {
        out << u.name << ":";
        for (const auto& t : unitTokens(u, o)) out << ' ' << t;
        out << '\n';
    }
    return out.str();
}

double stringSimilarity(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    if (a.empty() && b.empty()) return 1.0;
    std::vector<size_t> previous(b.size() + 1), current(b.size() + 1);
    std::iota(previous.begin(), previous.end(), size_t(0));
    for (size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (size_t j = 1; j <= b.size(); ++j)
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(previous, current);
    }
    return 1.0 - double(previous[b.size()]) / double(std::max(a.size(), b.size()));
}

std::vector<std::vector<double>> similarityMatrix(const std::vector<ThresholdUnit>& a, const std::vector<ThresholdUnit>& b,
                                                  const StringOptions& o) {
    std::vector<std::vector<std::string>> tb;
    for (const auto& u : b) tb.push_back(unitTokens(u, o));
    std::vector<std::vector<double>> out;
    for (const auto& u : a) {
        const auto ta = unitTokens(u, o);
        std::vector<double> row;
        for (const auto& t : tb) row.push_back(stringSimilarity(ta, t));
        out.push_back(std::move(row));
    }
    return out;
}

}  // namespace cx::engine
