// The preservation curve's CSV, shared by `cx sweep` and the GUI's curve export (no torch).
#include "engine/pruning/curve_csv.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <tuple>

#include "engine/core/parse_number.h"

namespace cx::engine {

double effectiveSparsity(const CurvePoint& p) { return double(p.effectiveKept) / double(std::max<int64_t>(1, p.relevant)); }

namespace {

const char* const kColumns = "criterion,sparsity,relevant,kept,effective_kept,effective_sparsity,disconnected,pearson,dfnorm";

std::vector<std::string> splitFields(const std::string& line) {
    std::vector<std::string> fields;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, ',')) fields.push_back(field);
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    return fields;
}

// One row's fields into a point, or the reason it is not one.
Result<CurvePoint> parseRow(const std::vector<std::string>& f, bool units) {
    CurvePoint p;
    size_t i = 0;
    const auto count = [&](const char* name, int64_t& out) -> Status {
        const auto v = parseInt64(f[i++]);
        if (!v || *v < 0) return invalidInput(std::string(name) + " is not a count: '" + f[i - 1] + "'");
        out = *v;
        return Done{};
    };
    const auto real = [&](const char* name, double low, double high, double& out) -> Status {
        const auto v = parseFinite(f[i++]);
        if (!v || *v < low || *v > high) return invalidInput(std::string(name) + " is not a number in [" + std::to_string(low) + ", " + std::to_string(high) + "]: '" + f[i - 1] + "'");
        out = *v;
        return Done{};
    };
    if (units)
        if (auto st = count("unit", p.unit); !st) return st.error();
    auto criterion = parseCriterion(f[i++]);
    if (!criterion) return criterion.error();
    p.criterion = criterion.value();
    double effective = 0, disconnected = 0;
    for (const Status& st : {real("sparsity", 0, 1, p.sparsity), count("relevant", p.relevant), count("kept", p.kept),
                             count("effective_kept", p.effectiveKept), real("effective_sparsity", 0, 1, effective),
                             real("disconnected", 0, 1, disconnected), real("pearson", 0, 1, p.pearson),
                             real("dfnorm", 0, 1e300, p.dfnorm)})
        if (!st) return st.error();
    if (p.sparsity <= 0) return invalidInput("sparsity must be above 0");
    if (disconnected != 0 && disconnected != 1) return invalidInput("disconnected must be 0 or 1");
    p.disconnected = disconnected == 1;
    if (p.kept > p.relevant || p.effectiveKept > p.kept) return invalidInput("the counts must satisfy effective_kept <= kept <= relevant");
    return p;
}

}  // namespace

Result<std::vector<CurvePoint>> parseCurveCsv(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    if (!std::getline(in, line)) return invalidInput("the curve CSV is empty");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const bool units = line == std::string("unit,") + kColumns;
    if (!units && line != kColumns) return invalidInput("line 1 is not a preservation curve's header (" + std::string(kColumns) + ", optionally after unit,)");
    const size_t width = units ? 10 : 9;
    std::vector<CurvePoint> points;
    std::set<std::tuple<int64_t, int, double>> seen;
    for (int number = 2; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        const auto fields = splitFields(line);
        const std::string where = "line " + std::to_string(number) + ": ";
        if (fields.size() != width)
            return invalidInput(where + "expected " + std::to_string(width) + " fields, found " + std::to_string(fields.size()));
        auto point = parseRow(fields, units);
        if (!point) return invalidInput(where + point.error().message);
        const auto key = std::make_tuple(point.value().unit, int(point.value().criterion), point.value().sparsity);
        if (!seen.insert(key).second) return invalidInput(where + "the same unit, criterion and sparsity as an earlier row");
        points.push_back(point.value());
    }
    if (points.empty()) return invalidInput("the curve CSV has a header but no rows");
    return points;
}

std::string curveCsv(const std::vector<CurvePoint>& points) {
    // A population's rows lead with their unit; a single target's CSV stays as it was.
    const bool units = std::any_of(points.begin(), points.end(), [](const CurvePoint& p) { return p.unit >= 0; });
    std::ostringstream csv;
    csv.precision(9);
    csv << (units ? "unit," : "") << kColumns << "\n";
    for (const auto& p : points) {
        if (units) csv << p.unit << ",";
        csv << nameOf(p.criterion) << "," << p.sparsity << "," << p.relevant << "," << p.kept << "," << p.effectiveKept << ","
            << effectiveSparsity(p) << "," << (p.disconnected ? 1 : 0) << "," << p.pearson << "," << p.dfnorm << "\n";
    }
    return csv.str();
}

}  // namespace cx::engine
