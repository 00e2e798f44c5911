#pragma once
// A population's preservation curves summarised (plain C++: the GUI's Population view and
// `cx demo population` share it): quartiles over units per criterion and sparsity, and the
// levels, units and criteria a set of points holds.
#include <cstdint>
#include <vector>

#include "engine/core/options.h"
#include "engine/pruning/pruning_types.h"

namespace cx::engine {

enum class CurveMetric { Pearson, DeltaFNorm };

/// The point's |Pearson r| (0 for a disconnected circuit, as the sweep reports it) or delta-f-norm.
double metricOf(const CurvePoint& point, CurveMetric metric);

/// The p-quantile (0..1) of non-empty `values`, interpolated linearly between order statistics
/// (numpy's default).
double quantile(std::vector<double> values, double p);

/// Per criterion and sparsity: quartiles of the metric over the units.
struct PopulationQuartiles {
    Criterion criterion = Criterion::ActGrad;
    double sparsity = 0, q1 = 0, median = 0, q3 = 0;
    int64_t units = 0;
};

/// One row per criterion and sparsity, in the order they first appear (the sweep's order).
std::vector<PopulationQuartiles> populationQuartiles(const std::vector<CurvePoint>& points,
                                                     CurveMetric metric = CurveMetric::Pearson);

/// The distinct sparsities, units and criteria of `points`, each in order of first appearance.
std::vector<double> sparsitiesOf(const std::vector<CurvePoint>& points);
std::vector<int64_t> unitsOf(const std::vector<CurvePoint>& points);
std::vector<Criterion> criteriaOf(const std::vector<CurvePoint>& points);

}  // namespace cx::engine
