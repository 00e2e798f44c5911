#include "engine/pruning/sweep_job.h"

#include <cmath>
#include <sstream>

#include "engine/core/runtime.h"
#include "engine/data/internal/image_set.h"
#include "engine/data/internal/job_inputs.h"
#include "engine/io/atomic_file.h"
#include "engine/io/file_read.h"
#include "engine/io/safetensors.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/pruning/curve_csv.h"
#include "engine/pruning/internal/sweep.h"
#include "engine/pruning/population.h"
#include "engine/pruning/pruning.h"

namespace cx::engine {
namespace {

Result<TargetSpec> sweepTarget(const SweepRequest& req) {
    if (!req.units.empty()) {  // a population: the target is a layer, each unit its own target
        if (req.target.find(':') != std::string::npos || !req.directionFile.empty())
            return invalidInput("with --units the target is a layer (--target LAYER), not " + req.target);
        TargetSpec layer;
        layer.layer = req.target;
        layer.unit = 0;
        if (auto st = parseObjective(req.objective, layer); !st) return st.error();
        return layer;
    }
    // Target and direction are checked exactly as for `cx score`.
    ScoreSpec probe;
    probe.target = req.target;
    probe.directionFile = req.directionFile;
    probe.objective = req.objective;
    return prepareTarget(probe);
}

}  // namespace

Result<std::vector<CurvePoint>> runSweep(Workspace& workspace, const SweepRequest& req, JobContext& job) {
    initRuntime();
    if (req.granularity == Granularity::Head) return invalidInput(kHeadsAreForMasks);
    auto target = sweepTarget(req);
    if (!target) return target.error();
    const Model& model = *workspace.model();
    if (auto r = resolveTarget(model.summary(), target.value()); !r) return r.error();
    auto images = workspace.impl().images(req.images, req.imageOptions);
    if (!images) return images.error();
    torch::Tensor evalImages = images.value()->images;
    if (!req.evalImages.empty()) {
        auto eval = workspace.impl().images(req.evalImages, req.imageOptions);
        if (!eval) return eval.error();
        evalImages = eval.value()->images;
    }
    SweepSettings settings;
    settings.target = target.value();
    settings.criteria = req.criteria;
    settings.sparsities = req.sparsities.empty() ? defaultSparsities() : req.sparsities;
    settings.pearson = req.pearson;
    settings.minmax = req.minmax;
    settings.bias = req.bias;
    settings.batchSize = req.batchSize;
    settings.seed = req.seed;
    settings.device = defaultDevice();
    settings.granularity = req.granularity;
    // The sweep's progress payloads are the CurvePoints as they are computed.
    Result<std::vector<CurvePoint>> points = Error{ErrorCode::Internal, "not swept"};
    if (req.units.empty()) {
        points = sweepCircuits(model, images.value()->images, evalImages, settings, job);
    } else {
        const int layer = model.summary().indexOf(req.target);
        auto all = parseUnits(req.units, model.summary().layers[size_t(layer)].outChannels);
        if (!all) return all.error();
        auto units = shardOf(all.value(), req.shard);
        if (!units) return units.error();
        points = sweepPopulation(model, images.value()->images, evalImages, settings, units.value(), job);
    }
    if (!points) return points.error();
    if (!req.out.empty())
        if (auto st = writeFileAtomic(req.out, curveCsv(points.value())); !st) return st.error();
    return points;
}

Result<std::vector<CurvePoint>> runSweep(const SweepRequest& req, JobContext& job) {
    initRuntime();
    if (req.out.empty()) return invalidInput("no output file given (--out CURVE.csv)");
    if (req.granularity == Granularity::Head) return invalidInput(kHeadsAreForMasks);
    if (auto target = sweepTarget(req); !target) return target.error();
    auto workspace = Workspace::open(req.model);
    if (!workspace) return workspace.error();
    return runSweep(*workspace.value(), req, job);
}

Result<std::vector<CurvePoint>> readCurveCsv(const std::string& path) {
    auto bytes = readInputFile(path, "curve CSV");
    if (!bytes) return bytes.error();
    auto points = parseCurveCsv(std::string(bytes.value().begin(), bytes.value().end()));
    if (!points) return invalidInput(path + ": " + points.error().message);
    return points;
}

}  // namespace cx::engine
