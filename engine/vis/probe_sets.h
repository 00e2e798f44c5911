#pragma once
// Probe sets (seed 002's circle-detector study): parameterised images drawn inside a unit's
// receptive field - 90-degree arcs and corners over radius x rotation, lines over orientation x
// offset, uniform colours over hue x brightness - and the unit's activation surface over the
// grid, in the model and in a circuit. Plain C++: the GUI includes it.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/model/workspace.h"

namespace cx::engine {

struct CircuitSpec;  // engine/pruning/circuit_job.h

enum class ProbeKind { Arcs, Corners, Lines, Colours };
Result<ProbeKind> parseProbeKind(const std::string& name);  // arcs, corners, lines, colours
std::string probeKindName(ProbeKind kind);

struct ProbeSpec {
    ProbeKind kind = ProbeKind::Arcs;
    int64_t rows = 8, columns = 24;    // radius (arm, offset, brightness) x rotation (orientation, hue)
    int64_t height = 224, width = 224; // the model's input
    bool normalize = true;             // ImageNet mean/std, as image folders load
    double strokeWidth = 2.0;          // pixels
};

struct ProbeGrid {
    ProbeKind kind = ProbeKind::Arcs;
    std::string rowName, columnName;   // "radius", "rotation", ...
    std::vector<double> rowValues, columnValues;  // pixels or degrees; hue in degrees, brightness 0..1
    std::array<int64_t, 4> field{};    // the box the probes are drawn in (top, left, bottom, right)
    int64_t centreRow = 0, centreCol = 0;  // the input pixel the probes are centred on
};

struct ActivationSurface {
    std::string layer;
    int64_t unit = -1;
    ProbeGrid grid;
    std::vector<double> model;         // rows x columns, row-major: the unit at its centre position
    std::vector<double> circuit;       // the same in the circuit (empty without one)
};

/// The probe images of `spec` for `layer`'s centre position (its receptive field, from the
/// graph; the whole image where the graph cannot tell), N = rows x columns, C x H x W in 0..1:
/// white strokes or colours on black. `grid` gets the parameters.
Result<std::vector<float>> probeImages(Workspace& workspace, const std::string& layer, const ProbeSpec& spec, ProbeGrid& grid);

/// The activation of `layer`:`unit` at its centre position on every probe image, in the model
/// and, when `mask` is given, in that circuit (as its sweep runs it).
Result<ActivationSurface> activationSurface(Workspace& workspace, const MaskHandle& mask, const std::string& layer, int64_t unit,
                                            const ProbeSpec& spec, JobContext& job);

/// Writes the probe of row `r`, column `c` as a one-image safetensors file (key `images`,
/// 1 x 3 x H x W in the model's input space: normalised when `spec` says so), atomically: what a
/// circuit is found on when one probe image is the whole task.
Status writeProbeImage(Workspace& workspace, const std::string& layer, const ProbeSpec& spec, int64_t r, int64_t c,
                       const std::string& path);

/// The circuit of `layer`:`unit` on the probe of row `r`, column `c` alone (seed 002: a
/// subcircuit per probe image): the probe written to `imageFile` (writeProbeImage), then scored and
/// pruned as `how` says (its images and target are set here; FORCE needs a data set and is
/// refused). Its mask is what activationSurface measures next.
Result<MaskHandle> probeSubcircuit(Workspace& workspace, const std::string& layer, int64_t unit, const ProbeSpec& spec, int64_t r,
                                   int64_t c, const std::string& imageFile, const CircuitSpec& how, JobContext& job);

/// Writes DIR/surface.csv (row value, column value, model, circuit, circuit - model), the heat
/// maps DIR/model.png, DIR/circuit.png and DIR/difference.png (one cell per probe, blue low to red
/// high: each surface over its own range, the difference on a scale symmetric about 0) and DIR/probes.png (every probe's field, as drawn).
Result<std::vector<std::string>> writeSurface(Workspace& workspace, const ActivationSurface& surface, const ProbeSpec& spec,
                                              const std::string& dir);

}  // namespace cx::engine
