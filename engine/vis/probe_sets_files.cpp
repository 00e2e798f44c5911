// Activation surfaces as files: a CSV of every cell, heat maps and the probes as drawn.
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "engine/core/internal/guard.h"
#include "engine/data/internal/image_set.h"
#include "engine/io/atomic_file.h"
#include "engine/vis/probe_sets.h"

namespace cx::engine {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kCell = 12, kProbeCell = 24;

// t in 0..1: blue (low), white, red (high) - a diverging ramp that reads in print.
std::array<float, 3> ramp(double t) {
    t = std::clamp(t, 0.0, 1.0);
    const std::array<float, 3> blue{0.23f, 0.30f, 0.75f}, white{0.97f, 0.97f, 0.97f}, red{0.71f, 0.02f, 0.15f};
    const auto mix = [](const std::array<float, 3>& a, const std::array<float, 3>& b, double s) {
        return std::array<float, 3>{float(a[0] + (b[0] - a[0]) * s), float(a[1] + (b[1] - a[1]) * s), float(a[2] + (b[2] - a[2]) * s)};
    };
    return t < 0.5 ? mix(blue, white, t * 2) : mix(white, red, (t - 0.5) * 2);
}

torch::Tensor heatMap(const std::vector<double>& values, int64_t rows, int64_t columns, double lo, double hi) {
    auto image = torch::zeros({3, rows * kCell, columns * kCell});
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < columns; ++c) {
            const auto colour = ramp(hi > lo ? (values[size_t(r * columns + c)] - lo) / (hi - lo) : 0.5);
            for (int k = 0; k < 3; ++k) image[k].narrow(0, r * kCell, kCell).narrow(1, c * kCell, kCell).fill_(colour[size_t(k)]);
        }
    return image;
}

}  // namespace

Result<std::vector<std::string>> writeSurface(Workspace& workspace, const ActivationSurface& s, const ProbeSpec& spec,
                                              const std::string& dir) {
    const int64_t rows = int64_t(s.grid.rowValues.size()), columns = int64_t(s.grid.columnValues.size());
    if (int64_t(s.model.size()) != rows * columns) return invalidInput("the surface does not match its grid");
    ProbeGrid grid;
    auto probes = probeImages(workspace, s.layer, spec, grid);
    if (!probes) return probes.error();
    return guarded<std::vector<std::string>>("writing the surface", [&]() -> Result<std::vector<std::string>> {
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) return ioError("cannot create " + dir + ": " + ec.message());
        std::vector<std::string> files;
        const bool circuit = !s.circuit.empty();
        std::ostringstream csv;
        csv << std::setprecision(9) << s.grid.rowName << ',' << s.grid.columnName << ",model" << (circuit ? ",circuit,difference" : "") << "\n";
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < columns; ++c) {
                const size_t i = size_t(r * columns + c);
                csv << s.grid.rowValues[size_t(r)] << ',' << s.grid.columnValues[size_t(c)] << ',' << s.model[i];
                if (circuit) csv << ',' << s.circuit[i] << ',' << s.circuit[i] - s.model[i];
                csv << "\n";
            }
        const std::string csvPath = (fs::path(dir) / "surface.csv").string();
        if (auto st = writeFileAtomic(csvPath, csv.str()); !st) return st.error();
        files.push_back(csvPath);
        // Each surface on its own range, so that a circuit's weaker response still shows its
        // shape; the difference on a scale symmetric about 0.
        const auto range = [](const std::vector<double>& v) {
            return std::pair{*std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
        };
        std::vector<double> difference;
        double spread = 0;
        for (size_t i = 0; i < s.circuit.size(); ++i) {
            difference.push_back(s.circuit[i] - s.model[i]);
            spread = std::max(spread, std::abs(difference.back()));
        }
        const auto save = [&](const std::string& name, const torch::Tensor& image) -> Status {
            const std::string path = (fs::path(dir) / name).string();
            if (auto st = savePng(path, image); !st) return st;
            files.push_back(path);
            return Done{};
        };
        const auto [modelLo, modelHi] = range(s.model);
        if (auto st = save("model.png", heatMap(s.model, rows, columns, modelLo, modelHi)); !st) return st.error();
        if (circuit) {
            const auto [circuitLo, circuitHi] = range(s.circuit);
            if (auto st = save("circuit.png", heatMap(s.circuit, rows, columns, circuitLo, circuitHi)); !st) return st.error();
            if (auto st = save("difference.png", heatMap(difference, rows, columns, -spread, spread)); !st) return st.error();
        }
        // Every probe's field, as the unit saw it, in the grid's layout.
        const auto images = torch::from_blob(probes.value().data(), {rows * columns, 3, spec.height, spec.width}, torch::kFloat32);
        const auto& f = grid.field;
        const auto fields = images.narrow(2, f[0], f[2] - f[0] + 1).narrow(3, f[1], f[3] - f[1] + 1);
        namespace F = torch::nn::functional;
        const auto cells = F::interpolate(fields, F::InterpolateFuncOptions().size(std::vector<int64_t>{kProbeCell, kProbeCell}).mode(torch::kArea));
        auto sheet = torch::full({3, rows * (kProbeCell + 1) + 1, columns * (kProbeCell + 1) + 1}, 0.5f);
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < columns; ++c)
                sheet.narrow(1, 1 + r * (kProbeCell + 1), kProbeCell).narrow(2, 1 + c * (kProbeCell + 1), kProbeCell).copy_(cells[r * columns + c]);
        if (auto st = save("probes.png", sheet); !st) return st.error();
        return files;
    });
}

}  // namespace cx::engine
