#include "engine/pruning/population_stats.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace cx::engine {
namespace {

template <typename T, typename Key>
std::vector<T> distinct(const std::vector<CurvePoint>& points, Key key) {
    std::vector<T> seen;
    for (const auto& p : points)
        if (std::find(seen.begin(), seen.end(), key(p)) == seen.end()) seen.push_back(key(p));
    return seen;
}

}  // namespace

double metricOf(const CurvePoint& p, CurveMetric metric) {
    if (metric == CurveMetric::DeltaFNorm) return p.dfnorm;
    return p.disconnected ? 0.0 : p.pearson;
}

double quantile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    const double h = (double(values.size()) - 1) * p;
    const size_t lo = size_t(std::floor(h)), hi = size_t(std::ceil(h));
    return values[lo] + (h - double(lo)) * (values[hi] - values[lo]);
}

std::vector<PopulationQuartiles> populationQuartiles(const std::vector<CurvePoint>& points, CurveMetric metric) {
    std::map<std::pair<Criterion, double>, std::vector<double>> values;
    std::vector<std::pair<Criterion, double>> order;
    for (const auto& p : points) {
        auto key = std::make_pair(p.criterion, p.sparsity);
        if (!values.count(key)) order.push_back(key);
        values[key].push_back(metricOf(p, metric));
    }
    std::vector<PopulationQuartiles> rows;
    for (const auto& key : order) {
        const auto& v = values.at(key);
        rows.push_back({key.first, key.second, quantile(v, 0.25), quantile(v, 0.5), quantile(v, 0.75), int64_t(v.size())});
    }
    return rows;
}

std::vector<double> sparsitiesOf(const std::vector<CurvePoint>& points) {
    return distinct<double>(points, [](const CurvePoint& p) { return p.sparsity; });
}

std::vector<int64_t> unitsOf(const std::vector<CurvePoint>& points) {
    return distinct<int64_t>(points, [](const CurvePoint& p) { return p.unit; });
}

std::vector<Criterion> criteriaOf(const std::vector<CurvePoint>& points) {
    return distinct<Criterion>(points, [](const CurvePoint& p) { return p.criterion; });
}

}  // namespace cx::engine
