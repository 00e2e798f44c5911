#include "engine/demo/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace cx::engine {
namespace {

constexpr double kWidth = 640, kHeight = 400, kLeft = 64, kRight = 24, kTop = 40, kBottom = 56;

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

std::string label(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string escaped(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '&') out += "&amp;";
        else out += c;
    }
    return out;
}

// Maps data to the plot area.
struct Frame {
    double x0, x1, y0, y1;
    bool logX;
    double px(double x) const {
        const double a = logX ? std::log10(x) : x, lo = logX ? std::log10(x0) : x0, hi = logX ? std::log10(x1) : x1;
        return kLeft + (a - lo) / (hi - lo) * (kWidth - kLeft - kRight);
    }
    double py(double y) const { return kHeight - kBottom - (y - y0) / (y1 - y0) * (kHeight - kTop - kBottom); }
};

void header(std::ostringstream& svg, const ChartAxes& axes) {
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight << "\" viewBox=\"0 0 "
        << kWidth << ' ' << kHeight << "\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"12\">\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << "<text x=\"" << kWidth / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">" << escaped(axes.title) << "</text>\n"
        << "<text x=\"" << kWidth / 2 << "\" y=\"" << kHeight - 14 << "\" text-anchor=\"middle\">" << escaped(axes.xLabel) << "</text>\n"
        << "<text transform=\"translate(16 " << kHeight / 2 << ") rotate(-90)\" text-anchor=\"middle\">" << escaped(axes.yLabel)
        << "</text>\n";
}

void frameAndTicks(std::ostringstream& svg, const Frame& f, const std::vector<double>& xTicks, const std::vector<double>& yTicks,
                   const std::vector<std::string>& xNames = {}) {
    svg << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kWidth - kLeft - kRight << "\" height=\""
        << kHeight - kTop - kBottom << "\" fill=\"none\" stroke=\"#444\"/>\n";
    for (double x : xTicks)
        svg << "<line x1=\"" << num(f.px(x)) << "\" y1=\"" << kHeight - kBottom << "\" x2=\"" << num(f.px(x)) << "\" y2=\""
            << kHeight - kBottom + 5 << "\" stroke=\"#444\"/><text x=\"" << num(f.px(x)) << "\" y=\"" << kHeight - kBottom + 18
            << "\" text-anchor=\"middle\">" << (xNames.empty() ? label(x) : escaped(xNames[size_t(std::lround(x)) - 1])) << "</text>\n";
    for (double y : yTicks)
        svg << "<line x1=\"" << kLeft - 5 << "\" y1=\"" << num(f.py(y)) << "\" x2=\"" << kWidth - kRight << "\" y2=\"" << num(f.py(y))
            << "\" stroke=\"#e4e4e4\"/><text x=\"" << kLeft - 8 << "\" y=\"" << num(f.py(y) + 4) << "\" text-anchor=\"end\">"
            << label(y) << "</text>\n";
}

// `left`: in the top-left corner (preservation curves rise to the right), else top-right.
void legend(std::ostringstream& svg, const std::vector<ChartSeries>& series, bool left, bool below = false) {
    const double x = left ? kLeft + 12 : kWidth - kRight - 120;
    for (size_t i = 0; i < series.size(); ++i) {
        const double y = below ? kHeight - kBottom - 8 - 16 * double(series.size() - 1 - i) : kTop + 16 + 16 * double(i);
        if (series[i].dashed)
            svg << "<line x1=\"" << x << "\" y1=\"" << y - 4 << "\" x2=\"" << x + 14 << "\" y2=\"" << y - 4 << "\" stroke=\""
                << series[i].colour << "\" stroke-width=\"2\" stroke-dasharray=\"4 2\"/>";
        else
            svg << "<rect x=\"" << x << "\" y=\"" << y - 9 << "\" width=\"12\" height=\"10\" fill=\"" << series[i].colour << "\"/>";
        svg << "<text x=\"" << x + 18 << "\" y=\"" << y << "\">" << escaped(series[i].name) << "</text>\n";
    }
}

std::vector<double> linearTicks(double lo, double hi, int count) {
    std::vector<double> ticks;
    for (int i = 0; i <= count; ++i) ticks.push_back(lo + (hi - lo) * i / count);
    return ticks;
}

}  // namespace

std::string svgLineChart(const ChartAxes& axes, const std::vector<ChartSeries>& series) {
    double x0 = 1e300, x1 = -1e300;
    for (const auto& s : series)
        for (double x : s.x) {
            x0 = std::min(x0, x);
            x1 = std::max(x1, x);
        }
    if (!(x1 > x0)) x1 = x0 + 1;
    if (!axes.xNames.empty()) x0 = 0.5, x1 = double(axes.xNames.size()) + 0.5;  // categories at 1 .. n
    const Frame f{x0, x1, axes.yMin, axes.yMax, axes.logX};
    std::ostringstream svg;
    header(svg, axes);
    std::vector<double> xTicks;
    if (axes.logX) {
        for (double d = std::pow(10, std::floor(std::log10(x0))); d <= x1 * 1.0001; d *= 10)
            if (d >= x0 * 0.9999) xTicks.push_back(d);
    } else if (!axes.xNames.empty()) {
        for (size_t i = 1; i <= axes.xNames.size(); ++i) xTicks.push_back(double(i));
    } else {
        xTicks = linearTicks(x0, x1, 5);
    }
    frameAndTicks(svg, f, xTicks, linearTicks(axes.yMin, axes.yMax, 5), axes.xNames);
    for (const auto& s : series) {
        if (s.low.size() == s.x.size() && s.high.size() == s.x.size() && !s.x.empty()) {
            svg << "<polygon fill=\"" << s.colour << "\" fill-opacity=\"0.18\" stroke=\"none\" points=\"";
            for (size_t i = 0; i < s.x.size(); ++i) svg << num(f.px(s.x[i])) << ',' << num(f.py(s.high[i])) << ' ';
            for (size_t i = s.x.size(); i-- > 0;) svg << num(f.px(s.x[i])) << ',' << num(f.py(s.low[i])) << ' ';
            svg << "\"/>\n";
        }
        svg << "<polyline fill=\"none\" stroke=\"" << s.colour << "\" stroke-width=\"2\"" << (s.dashed ? " stroke-dasharray=\"6 4\"" : "")
            << " points=\"";
        for (size_t i = 0; i < s.x.size(); ++i) svg << num(f.px(s.x[i])) << ',' << num(f.py(s.y[i])) << ' ';
        svg << "\"/>\n";
        for (size_t i = 0; i < s.x.size(); ++i)
            svg << "<circle cx=\"" << num(f.px(s.x[i])) << "\" cy=\"" << num(f.py(s.y[i])) << "\" r=\"2.5\" fill=\"" << s.colour << "\"/>\n";
    }
    legend(svg, series, true, axes.legendBelow);
    svg << "</svg>\n";
    return svg.str();
}

std::string svgHistogram(const ChartAxes& axes, const std::vector<ChartSeries>& series, int bins) {
    bins = std::max(1, bins);
    std::vector<std::vector<int>> counts(series.size(), std::vector<int>(size_t(bins), 0));
    int most = 1;
    for (size_t s = 0; s < series.size(); ++s)
        for (double v : series[s].y) {
            const double t = (v - axes.yMin) / (axes.yMax - axes.yMin);
            const int bin = std::clamp(int(std::floor(t * bins)), 0, bins - 1);
            most = std::max(most, ++counts[s][size_t(bin)]);
        }
    const int step = (most + 4) / 5;  // whole counts on the y axis
    most = step * ((most + step - 1) / step);
    const Frame f{axes.yMin, axes.yMax, 0, double(most), false};
    std::ostringstream svg;
    header(svg, axes);
    frameAndTicks(svg, f, linearTicks(axes.yMin, axes.yMax, 5), linearTicks(0, most, most / step));
    const double binWidth = (kWidth - kLeft - kRight) / bins, barWidth = binWidth * 0.85 / double(std::max<size_t>(1, series.size()));
    for (size_t s = 0; s < series.size(); ++s)
        for (int b = 0; b < bins; ++b) {
            if (counts[s][size_t(b)] == 0) continue;
            const double x = kLeft + b * binWidth + binWidth * 0.075 + double(s) * barWidth, top = f.py(counts[s][size_t(b)]);
            svg << "<rect x=\"" << num(x) << "\" y=\"" << num(top) << "\" width=\"" << num(barWidth) << "\" height=\""
                << num(kHeight - kBottom - top) << "\" fill=\"" << series[s].colour << "\"/>\n";
        }
    legend(svg, series, false);
    svg << "</svg>\n";
    return svg.str();
}

}  // namespace cx::engine
