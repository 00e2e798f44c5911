#pragma once
// `cx demo population`: seed 002's population figures on the demo CNN - the median (and
// interquartile) preservation curve per criterion over every unit of a layer (its Fig. 2), and
// the distribution of |r| over the units at one sparsity (Fig. 3) - as CSV and SVG.
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/core/options.h"
#include "engine/pruning/population_stats.h"
#include "engine/pruning/pruning_types.h"

namespace cx::engine {

struct DemoPopulationRequest {
    std::string outDir;
    std::string model;                  // the demo CNN
    std::string layer = "features.conv4";
    std::string units = "all";
    int64_t images = 128;               // demo shapes, seed 5
    std::vector<Criterion> criteria = {Criterion::ActGrad, Criterion::Snip, Criterion::Magnitude, Criterion::Random};
    double at = 0.1;                    // Fig. 3's sparsity (one of the 13 levels)
};

struct DemoPopulationReport {
    std::vector<CurvePoint> points;            // every unit's curve
    std::vector<PopulationQuartiles> quartiles;
    std::vector<std::string> files;
};

/// Sweeps every unit (shared forwards) and writes curves.csv, quartiles.csv, distribution.csv,
/// fig2_median_curves.svg and fig3_distribution.svg into `outDir`, each atomically.
Result<DemoPopulationReport> runDemoPopulation(const DemoPopulationRequest& request, JobContext& job);

}  // namespace cx::engine
