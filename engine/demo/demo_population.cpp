#include "engine/demo/demo_population.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "engine/demo/demo_run.h"
#include "engine/demo/svg_chart.h"
#include "engine/io/atomic_file.h"
#include "engine/model/workspace.h"
#include "engine/pruning/curve_csv.h"
#include "engine/pruning/internal/sweep.h"
#include "engine/pruning/sweep_job.h"

namespace cx::engine {
namespace {

// The charts' colours per criterion, as the GUI's curves have them.
std::string colourOf(Criterion c) {
    static const char* colours[] = {"#0072b2", "#e69f00", "#009e73", "#d55e00", "#888888"};
    const auto& all = allCriteria();
    const auto it = std::find(all.begin(), all.end(), c);
    return colours[size_t(it - all.begin()) % 5];
}

std::string quartilesCsv(const std::vector<PopulationQuartiles>& rows) {
    std::ostringstream csv;
    csv.precision(9);
    csv << "criterion,sparsity,units,q1,median,q3\n";
    for (const auto& r : rows) csv << nameOf(r.criterion) << ',' << r.sparsity << ',' << r.units << ',' << r.q1 << ',' << r.median << ',' << r.q3 << '\n';
    return csv.str();
}

std::string distributionCsv(const std::vector<CurvePoint>& points, double at) {
    std::ostringstream csv;
    csv.precision(9);
    csv << "criterion,sparsity,unit,pearson,disconnected\n";
    for (const auto& p : points)
        if (p.sparsity == at) csv << nameOf(p.criterion) << ',' << p.sparsity << ',' << p.unit << ',' << p.pearson << ',' << (p.disconnected ? 1 : 0) << '\n';
    return csv.str();
}

std::string medianChart(const std::vector<PopulationQuartiles>& rows, const std::string& layer, int64_t units) {
    std::map<Criterion, ChartSeries> series;
    for (const auto& r : rows) {
        auto& s = series[r.criterion];
        s.name = nameOf(r.criterion);
        s.colour = colourOf(r.criterion);
        s.x.push_back(r.sparsity);
        s.y.push_back(r.median);
        s.low.push_back(r.q1);
        s.high.push_back(r.q3);
    }
    std::vector<ChartSeries> list;
    for (auto& [c, s] : series) {  // sparsities ascending along x
        std::vector<size_t> order(s.x.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s.x[a] < s.x[b]; });
        ChartSeries sorted{s.name, s.colour, {}, {}, {}, {}};
        for (size_t i : order) {
            sorted.x.push_back(s.x[i]);
            sorted.y.push_back(s.y[i]);
            sorted.low.push_back(s.low[i]);
            sorted.high.push_back(s.high[i]);
        }
        list.push_back(sorted);
    }
    ChartAxes axes{"Median |r| over " + std::to_string(units) + " units of " + layer + " (band: interquartile range)",
                   "fraction of relevant kernels kept", "|Pearson r|", true, 0, 1, false, {}};
    return svgLineChart(axes, list);
}

std::string distributionChart(const std::vector<CurvePoint>& points, double at, const std::string& layer) {
    std::map<Criterion, ChartSeries> series;
    for (const auto& p : points) {
        if (p.sparsity != at) continue;
        auto& s = series[p.criterion];
        s.name = nameOf(p.criterion);
        s.colour = colourOf(p.criterion);
        s.y.push_back(p.pearson);
    }
    std::vector<ChartSeries> list;
    for (auto& [c, s] : series) list.push_back(s);
    std::ostringstream title;
    title << "|r| of " << layer << "'s units at " << at * 100 << "% kept";
    return svgHistogram({title.str(), "|Pearson r|", "units", false, 0, 1, false, {}}, list, 10);
}

}  // namespace

Result<DemoPopulationReport> runDemoPopulation(const DemoPopulationRequest& req, JobContext& job) {
    if (req.outDir.empty()) return invalidInput("demo population needs --out DIR");
    const auto& levels = defaultSparsities();
    if (std::find(levels.begin(), levels.end(), req.at) == levels.end())
        return invalidInput("--at must be one of the 13 sweep levels (0.9 .. 0.001), got " + std::to_string(req.at));
    std::error_code ec;
    std::filesystem::create_directories(req.outDir, ec);
    if (ec) return invalidInput("cannot create " + req.outDir + ": " + ec.message());
    const auto in = [&](const char* name) { return (std::filesystem::path(req.outDir) / name).string(); };
    job.progress("images", 0.0);
    if (auto st = writeShapesImages(in("images.safetensors"), req.images, 5); !st) return st.error();
    auto workspace = Workspace::open(req.model);
    if (!workspace) return workspace.error();
    SweepRequest sweep;
    sweep.images = in("images.safetensors");
    sweep.target = req.layer;
    sweep.units = req.units;
    sweep.criteria = req.criteria;
    sweep.out = in("curves.csv");
    auto points = runSweep(*workspace.value(), sweep, job);
    if (!points) return points.error();
    DemoPopulationReport report;
    report.points = points.take();
    report.quartiles = populationQuartiles(report.points);
    int64_t units = report.quartiles.empty() ? 0 : report.quartiles.front().units;
    const std::vector<std::pair<std::string, std::string>> files = {
        {in("quartiles.csv"), quartilesCsv(report.quartiles)},
        {in("distribution.csv"), distributionCsv(report.points, req.at)},
        {in("fig2_median_curves.svg"), medianChart(report.quartiles, req.layer, units)},
        {in("fig3_distribution.svg"), distributionChart(report.points, req.at, req.layer)}};
    report.files = {in("images.safetensors"), sweep.out};
    for (const auto& [path, text] : files) {
        if (auto st = writeFileAtomic(path, text); !st) return st.error();
        report.files.push_back(path);
    }
    return report;
}

}  // namespace cx::engine
