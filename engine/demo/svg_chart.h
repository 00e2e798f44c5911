#pragma once
// Small SVG charts for the headless demos (no Qt in the engine or in cx): lines with shaded bands
// on a log or linear x axis, and grouped histograms. Plain text, like the diagrams' DOT.
#include <string>
#include <vector>

namespace cx::engine {

struct ChartSeries {
    std::string name, colour;            // colour as "#rrggbb"
    std::vector<double> x, y;            // the line
    std::vector<double> low, high;       // a band around it (empty: none)
    bool dashed = false;                 // a dashed line (and legend mark)
};

struct ChartAxes {
    std::string title, xLabel, yLabel;
    bool logX = false;
    double yMin = 0, yMax = 1;
    bool legendBelow = false;  // the legend in the lower left corner (lines: the upper left by default)
    std::vector<std::string> xNames;  // lines: named categories at x = 1 .. n instead of numbers
};

/// Lines (with bands) over shared axes, a legend in the corner.
std::string svgLineChart(const ChartAxes& axes, const std::vector<ChartSeries>& series);

/// Histograms of `values` per series over `bins` equal bins from axes.yMin..yMax of the value
/// (drawn on the x axis), bars side by side per bin; y is the count.
std::string svgHistogram(const ChartAxes& axes, const std::vector<ChartSeries>& series, int bins);

}  // namespace cx::engine
