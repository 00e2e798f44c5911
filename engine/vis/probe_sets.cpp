// Probe images drawn with tensor arithmetic on the pixel grid: each pixel's distance to the
// stroke (an arc, two arms, a line) becomes an anti-aliased white stroke of the given width;
// colours fill the field. Angles: 0 degrees points right, 90 up (counter-clockwise on screen).
#include "engine/vis/probe_sets.h"

#include <cmath>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/data/internal/image_set.h"
#include "engine/data/internal/job_inputs.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/pruning/circuit_job.h"
#include "engine/pruning/internal/mask_function.h"

namespace cx::engine {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kBatch = 64;

std::vector<double> evenly(double from, double to, int64_t n, bool endInclusive = true) {
    std::vector<double> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(n == 1 ? from : from + (to - from) * double(i) / double(endInclusive ? n - 1 : n));
    return v;
}

// Distance of every pixel (rows y, columns x: H x W grids) to the segment a-b (in (x, y)).
torch::Tensor segmentDistance(const torch::Tensor& x, const torch::Tensor& y, double ax, double ay, double bx, double by) {
    const double dx = bx - ax, dy = by - ay, len2 = std::max(1e-12, dx * dx + dy * dy);
    const auto t = (((x - ax) * dx + (y - ay) * dy) / len2).clamp(0, 1);
    return ((x - ax - t * dx).square() + (y - ay - t * dy).square()).sqrt();
}

torch::Tensor stroke(const torch::Tensor& distance, double width) { return (width / 2 + 0.5 - distance).clamp(0, 1); }

// HSV (hue in degrees) to RGB.
std::array<double, 3> hsv(double hue, double value) {
    const double h = std::fmod(hue, 360.0) / 60.0, c = value, xk = c * (1 - std::abs(std::fmod(h, 2.0) - 1));
    const int sector = int(h);
    const std::array<std::array<double, 3>, 6> rgb = {{{c, xk, 0}, {xk, c, 0}, {0, c, xk}, {0, xk, c}, {xk, 0, c}, {c, 0, xk}}};
    return rgb[size_t(std::clamp(sector, 0, 5))];
}

// The layer's centre position's field and the pixel it is centred on; the map's size from one
// forward of a blank image.
Result<ProbeGrid> fieldOf(const Model& model, int layer, const ProbeSpec& spec, int64_t channels) {
    auto plan = ForwardPlan::build(model, {{layer, ProbeSide::Output}}, false);
    if (!plan) return plan.error();
    torch::NoGradGuard off;
    const auto y = plan.value().run({torch::zeros({1, channels, spec.height, spec.width})}).probes[0];
    ProbeGrid grid;
    grid.field = {0, 0, spec.height - 1, spec.width - 1};
    grid.centreRow = spec.height / 2;
    grid.centreCol = spec.width / 2;
    const LayerInfo& info = model.summary().layers[size_t(layer)];
    if (info.kind == LayerKind::Conv2d && y.dim() == 4 && info.field.kind == ReceptiveField::Kind::Exact) {
        const int64_t i = y.size(2) / 2, j = y.size(3) / 2;
        int64_t box[4];
        info.field.box(i, j, spec.height, spec.width, box);
        std::copy(box, box + 4, grid.field.begin());
        grid.centreRow = std::clamp<int64_t>(info.field.start[0] + info.field.jump[0] * i + (info.field.size[0] - 1) / 2, box[0], box[2]);
        grid.centreCol = std::clamp<int64_t>(info.field.start[1] + info.field.jump[1] * j + (info.field.size[1] - 1) / 2, box[1], box[3]);
    }
    return grid;
}

void setAxes(ProbeGrid& g, const ProbeSpec& spec) {
    const double side = double(std::min(g.field[2] - g.field[0] + 1, g.field[3] - g.field[1] + 1));
    switch (spec.kind) {
        case ProbeKind::Arcs:
            g.rowName = "radius", g.columnName = "rotation";
            g.rowValues = evenly(std::max(2.0, 0.1 * side), std::max(3.0, 0.6 * side), spec.rows);
            g.columnValues = evenly(0, 360, spec.columns, false);
            break;
        case ProbeKind::Corners:
            g.rowName = "arm", g.columnName = "rotation";
            g.rowValues = evenly(std::max(2.0, 0.15 * side), std::max(3.0, 0.5 * side), spec.rows);
            g.columnValues = evenly(0, 360, spec.columns, false);
            break;
        case ProbeKind::Lines:
            g.rowName = "offset", g.columnName = "orientation";
            g.rowValues = evenly(-0.4 * side, 0.4 * side, spec.rows);
            g.columnValues = evenly(0, 180, spec.columns, false);
            break;
        case ProbeKind::Colours:
            g.rowName = "brightness", g.columnName = "hue";
            g.rowValues = evenly(0.25, 1.0, spec.rows);
            g.columnValues = evenly(0, 360, spec.columns, false);
            break;
    }
}

// One probe, 3 x H x W in 0..1 (the field only; black elsewhere).
torch::Tensor drawProbe(const ProbeGrid& g, const ProbeSpec& spec, double rowValue, double columnValue, const torch::Tensor& x,
                        const torch::Tensor& y) {
    const double cx = double(g.centreCol), cy = double(g.centreRow), theta = columnValue * kPi / 180.0;
    // Screen directions: x right, y down, so "up" is -y.
    const auto dir = [](double a) { return std::pair{std::cos(a), -std::sin(a)}; };
    torch::Tensor ink;
    std::array<double, 3> colour{1, 1, 1};
    switch (spec.kind) {
        case ProbeKind::Arcs: {
            // A quarter circle of radius r whose midpoint is the centre pixel, bulging towards theta.
            const double r = rowValue;
            const auto [ux, uy] = dir(theta);
            const double ox = cx - r * ux, oy = cy - r * uy;  // the circle's centre
            const auto vx = x - ox, vy = y - oy;
            const auto angle = torch::atan2(-vy, vx);  // counter-clockwise from the right
            auto off = torch::remainder(angle - theta + kPi, 2 * kPi) - kPi;
            const auto onArc = off.abs() <= kPi / 4;
            const auto radial = ((vx.square() + vy.square()).sqrt() - r).abs();
            const auto [ax, ay] = dir(theta - kPi / 4);
            const auto [bx, by] = dir(theta + kPi / 4);
            const auto ends = torch::minimum(segmentDistance(x, y, ox + r * ax, oy + r * ay, ox + r * ax, oy + r * ay),
                                             segmentDistance(x, y, ox + r * bx, oy + r * by, ox + r * bx, oy + r * by));
            ink = stroke(torch::where(onArc, radial, ends), spec.strokeWidth);
            break;
        }
        case ProbeKind::Corners: {
            // Two arms of length L meeting at the centre pixel at 90 degrees, opening towards theta.
            const double L = rowValue;
            const auto [ax, ay] = dir(theta - kPi / 4);
            const auto [bx, by] = dir(theta + kPi / 4);
            ink = stroke(torch::minimum(segmentDistance(x, y, cx, cy, cx + L * ax, cy + L * ay),
                                        segmentDistance(x, y, cx, cy, cx + L * bx, cy + L * by)),
                         spec.strokeWidth);
            break;
        }
        case ProbeKind::Lines: {
            // An infinite line at orientation theta, `offset` pixels from the centre along its normal.
            const auto [ux, uy] = dir(theta);
            const double nx = -uy, ny = ux;
            ink = stroke(((x - cx) * nx + (y - cy) * ny - rowValue).abs(), spec.strokeWidth);
            break;
        }
        case ProbeKind::Colours:
            ink = torch::ones_like(x);
            colour = hsv(columnValue, rowValue);
            break;
    }
    auto inField = torch::zeros_like(x);
    inField.narrow(0, g.field[0], g.field[2] - g.field[0] + 1).narrow(1, g.field[1], g.field[3] - g.field[1] + 1).fill_(1);
    ink = ink * inField;
    return torch::stack({ink * colour[0], ink * colour[1], ink * colour[2]});
}

torch::Tensor renderAll(const ProbeGrid& g, const ProbeSpec& spec) {
    const auto y = torch::arange(spec.height, torch::kFloat64).unsqueeze(1).expand({spec.height, spec.width});
    const auto x = torch::arange(spec.width, torch::kFloat64).unsqueeze(0).expand({spec.height, spec.width});
    std::vector<torch::Tensor> images;
    for (double rv : g.rowValues)
        for (double cv : g.columnValues) images.push_back(drawProbe(g, spec, rv, cv, x, y).to(torch::kFloat32));
    return torch::stack(images);
}

Result<ProbeGrid> gridFor(const Model& model, const std::string& layerName, const ProbeSpec& spec, int& layer, int64_t& channels) {
    layer = model.summary().indexOf(layerName);
    if (layer < 0) return invalidInput("the model has no layer '" + layerName + "'");
    channels = inputChannels(model.summary());
    if (channels != 3) return invalidInput("probe images are colour images: the model must read 3 input channels");
    if (spec.rows < 1 || spec.columns < 1 || spec.rows * spec.columns > 4096)
        return invalidInput("a probe grid needs 1..4096 cells, got " + std::to_string(spec.rows) + " x " + std::to_string(spec.columns));
    if (spec.height < 8 || spec.width < 8) return invalidInput("probe images need at least 8 x 8 pixels");
    auto grid = fieldOf(model, layer, spec, channels);
    if (!grid) return grid;
    grid.value().kind = spec.kind;
    setAxes(grid.value(), spec);
    return grid;
}

torch::Tensor normalised(torch::Tensor images, const ProbeSpec& spec) {
    if (!spec.normalize) return images;
    const auto mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1});
    const auto sd = torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1});
    return (images - mean) / sd;
}

}  // namespace

Result<ProbeKind> parseProbeKind(const std::string& name) {
    if (name == "arcs") return ProbeKind::Arcs;
    if (name == "corners") return ProbeKind::Corners;
    if (name == "lines") return ProbeKind::Lines;
    if (name == "colours" || name == "colors") return ProbeKind::Colours;
    return invalidInput("probe set must be arcs, corners, lines or colours, got '" + name + "'");
}

std::string probeKindName(ProbeKind kind) {
    switch (kind) {
        case ProbeKind::Arcs: return "arcs";
        case ProbeKind::Corners: return "corners";
        case ProbeKind::Lines: return "lines";
        case ProbeKind::Colours: return "colours";
    }
    return "?";
}

Result<std::vector<float>> probeImages(Workspace& workspace, const std::string& layerName, const ProbeSpec& spec, ProbeGrid& grid) {
    initRuntime();
    return guarded<std::vector<float>>("probe images", [&]() -> Result<std::vector<float>> {
        int layer = -1;
        int64_t channels = 0;
        auto g = gridFor(*workspace.model(), layerName, spec, layer, channels);
        if (!g) return g.error();
        grid = g.value();
        const auto images = renderAll(grid, spec).contiguous();
        return std::vector<float>(images.data_ptr<float>(), images.data_ptr<float>() + images.numel());
    });
}

Status writeProbeImage(Workspace& workspace, const std::string& layerName, const ProbeSpec& spec, int64_t r, int64_t c,
                       const std::string& path) {
    initRuntime();
    if (r < 0 || c < 0 || r >= spec.rows || c >= spec.columns)
        return invalidInput("probe cell " + std::to_string(r) + ", " + std::to_string(c) + " is outside the " +
                            std::to_string(spec.rows) + " x " + std::to_string(spec.columns) + " grid");
    return guarded<Done>("probe image", [&]() -> Result<Done> {
        int layer = -1;
        int64_t channels = 0;
        auto grid = gridFor(*workspace.model(), layerName, spec, layer, channels);
        if (!grid) return grid.error();
        const auto y = torch::arange(spec.height, torch::kFloat64).unsqueeze(1).expand({spec.height, spec.width});
        const auto x = torch::arange(spec.width, torch::kFloat64).unsqueeze(0).expand({spec.height, spec.width});
        auto image = drawProbe(grid.value(), spec, grid.value().rowValues[size_t(r)], grid.value().columnValues[size_t(c)], x, y)
                         .to(torch::kFloat32).unsqueeze(0);
        ImageSet set;
        set.images = normalised(image, spec).contiguous();
        set.labels = torch::full({1}, -1, torch::kInt64);
        if (auto st = saveImages(path, set); !st) return st.error();
        return Done{};
    });
}

Result<MaskHandle> probeSubcircuit(Workspace& workspace, const std::string& layer, int64_t unit, const ProbeSpec& spec, int64_t r,
                                   int64_t c, const std::string& imageFile, const CircuitSpec& how, JobContext& job) {
    if (how.criterion == Criterion::Force) return invalidInput("a subcircuit for one probe image is not pruned with FORCE; choose another criterion");
    if (auto st = writeProbeImage(workspace, layer, spec, r, c, imageFile); !st) return st.error();
    CircuitSpec circuit = how;  // the unit on this one image is the whole task
    circuit.images = imageFile;
    circuit.target = layer + ":" + std::to_string(unit);
    circuit.directionFile.clear();
    circuit.nodeImages = false;
    auto found = findCircuit(workspace, circuit, job);
    if (!found) return found.error();
    return found.value().mask;
}

Result<ActivationSurface> activationSurface(Workspace& workspace, const MaskHandle& mask, const std::string& layerName, int64_t unit,
                                            const ProbeSpec& spec, JobContext& job) {
    initRuntime();
    const Model& model = *workspace.model();
    return guarded<ActivationSurface>("activation surface", [&]() -> Result<ActivationSurface> {
        int layer = -1;
        int64_t channels = 0;
        auto grid = gridFor(model, layerName, spec, layer, channels);
        if (!grid) return grid.error();
        const int64_t units = model.summary().layers[size_t(layer)].outChannels;
        if (unit < 0 || unit >= units)
            return invalidInput("unit " + std::to_string(unit) + " is outside " + layerName + "'s 0.." + std::to_string(units - 1));
        const auto images = normalised(renderAll(grid.value(), spec), spec);
        const std::string device = defaultDevice();
        ActivationSurface out;
        out.layer = layerName;
        out.unit = unit;
        out.grid = grid.take();
        for (const bool inCircuit : {false, true}) {
            if (inCircuit && !mask) break;
            auto circuit = overridesOf(model, inCircuit ? mask : nullptr, device);
            if (!circuit) return circuit.error();
            const Overrides overrides = circuit.take();
            auto plan = ForwardPlan::build(model, {{layer, ProbeSide::Output}}, false, overrides.params, device);
            if (!plan) return plan.error();
            torch::NoGradGuard off;
            auto& values = inCircuit ? out.circuit : out.model;
            for (int64_t start = 0; start < images.size(0); start += kBatch) {
                if (job.cancelled()) return cancelledError();
                const int64_t n = std::min(kBatch, images.size(0) - start);
                auto y = plan.value().run({images.narrow(0, start, n).to(torch::Device(device))}, overrides.tensors).probes[0];
                y = y.select(1, unit);
                while (y.dim() > 1) y = y.select(1, y.size(1) / 2);  // the centre position
                const auto v = y.to(torch::kFloat64).cpu().contiguous();
                values.insert(values.end(), v.data_ptr<double>(), v.data_ptr<double>() + n);
                job.progress("probes", double(start + n + (inCircuit ? images.size(0) : 0)) / double(images.size(0) * (mask ? 2 : 1)));
            }
        }
        return out;
    });
}

}  // namespace cx::engine
