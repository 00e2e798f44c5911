#include "engine/pruning/circuit_job.h"

#include <filesystem>

#include "engine/demo/demo_run.h"
#include "engine/diagram/diagram_detail.h"
#include "engine/diagram/diagram_layout.h"
#include "engine/diagram/node_images.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/pruning/circuit_activations.h"

namespace cx::engine {
namespace {

// A view's pictures and layout.
Status finishView(CircuitDiagram& view, Workspace& workspace, const DiagramOptions& options, JobContext& job,
                  const std::string& images, bool nodeImages) {
    if (nodeImages) {
        job.progress("node images", 0.0);
        if (auto st = addNodeImages(view, workspace, images, job); !st) return st.error();
    }
    job.progress("layout", 0.0);
    if (auto st = layoutDiagram(view, options, job); !st) return st.error();
    job.progress("layout", 1.0);
    return Done{};
}

}  // namespace

Result<FoundCircuit> findCircuit(Workspace& workspace, const CircuitSpec& spec, JobContext& job, ScoresHandle scores) {
    if (spec.images.empty()) return invalidInput("no images to find the circuit on");
    FoundCircuit out;
    out.imagesFile = spec.images;
    if (!scores) {
        ScoreSpec score;
        score.images = spec.images;
        score.target = spec.target;
        score.directionFile = spec.directionFile;
        score.criterion = spec.criterion;
        if (spec.criterion == Criterion::Force) {  // FORCE's schedule runs towards this circuit's size
            score.sparsity = spec.sparsity;
            score.minmax = spec.minmax;
        }
        score.granularity = spec.granularity;
        score.objective = spec.objective;
        JobContext scoring(job.token());
        scoring.onProgress = [&job](const Progress& p) { job.progress("score", p.fraction); };
        auto computed = computeScores(workspace, score, scoring);
        if (!computed) return computed.error();
        scores = computed.take();
    }
    out.scores = scores;
    if (job.cancelled()) return cancelledError();
    job.progress("prune", 0.0);
    PruneSpec prune;
    prune.sparsity = spec.sparsity;
    prune.minmax = spec.minmax;
    prune.bias = spec.bias;
    auto pruned = pruneCircuit(workspace, *scores, prune, job);
    if (!pruned) return pruned.error();
    out.prune = pruned.value().report;
    out.mask = pruned.value().mask;
    job.progress("activations", 0.0);
    auto activations = circuitActivations(workspace, spec.images, *out.mask, spec.target, job, 20000, spec.directionFile);
    if (!activations) return activations.error();
    out.activations = activations.take();
    auto diagram = loadDiagram(workspace, *out.mask, spec.diagram, job, spec.images, spec.nodeImages);
    if (!diagram) return diagram.error();
    out.diagram = diagram.take();
    return out;
}

Result<FoundCircuit> findCircuit(const FindCircuitRequest& req, JobContext& job) {
    if (req.workDir.empty()) return invalidInput("no working folder for the circuit's files");
    std::error_code ec;
    std::filesystem::create_directories(req.workDir, ec);
    if (ec) return invalidInput("cannot create " + req.workDir + ": " + ec.message());
    const auto in = [&](const char* name) { return (std::filesystem::path(req.workDir) / name).string(); };
    CircuitSpec spec = req;
    if (spec.images.empty()) {
        job.progress("images", 0.0);
        spec.images = in("images.safetensors");
        if (auto st = writeShapesImages(spec.images, 256, 5); !st) return st.error();
    }
    if (job.cancelled()) return cancelledError();
    auto workspace = Workspace::open(req.model);
    if (!workspace) return workspace.error();
    auto& ws = *workspace.value();
    ScoresHandle reused;
    std::string scoresFile = in("scores.safetensors");
    if (!req.reuseScores.empty() && std::filesystem::exists(req.reuseScores)) {
        auto read = readScores(ws, req.reuseScores);
        if (!read) return read.error();
        reused = read.take();
        scoresFile = req.reuseScores;
    }
    auto found = findCircuit(ws, spec, job, reused);
    if (!found) return found;
    auto& out = found.value();
    out.scoresFile = scoresFile;
    out.maskFile = in("mask.safetensors");
    if (!reused)
        if (auto st = writeScores(ws, *out.scores, out.scoresFile); !st) return st.error();
    if (auto st = writeMask(ws, *out.mask, out.maskFile); !st) return st.error();
    out.diagram.mask = out.maskFile;
    return found;
}

Result<CircuitDiagram> loadDiagram(Workspace& workspace, const Mask& mask, const DiagramOptions& options, JobContext& job,
                                   const std::string& images, bool nodeImages, const DetailSpec& detail) {
    auto whole = buildDiagram(workspace, mask, nullptr, options);
    if (!whole) return whole.error();
    auto shared = std::make_shared<const CircuitDiagram>(whole.take());
    auto view = drawableDiagram(*shared, detail, options);
    if (!view) return view.error();
    view.value().whole = shared;
    if (job.cancelled()) return cancelledError();
    if (auto st = finishView(view.value(), workspace, options, job, images, nodeImages); !st) return st.error();
    return view;
}

Result<CircuitDiagram> redrawDiagram(Workspace& workspace, const CircuitDiagram& shown, const DetailSpec& detail,
                                     const DiagramOptions& options, JobContext& job, const std::string& images,
                                     size_t picturesUpTo) {
    if (!shown.whole) return invalidInput("this diagram has no circuit behind it to draw at another level of detail");
    auto view = diagramAtDetail(*shown.whole, detail, options);
    if (!view) return view.error();
    view.value().whole = shown.whole;
    size_t units = 0;
    for (const auto& n : view.value().nodes) units += n.kind == NodeKind::Unit ? 1 : 0;
    if (auto st = finishView(view.value(), workspace, options, job, images, units <= picturesUpTo); !st) return st.error();
    return view;
}

Result<CircuitDiagram> loadDiagram(const std::string& model, const std::string& maskPath, const DiagramOptions& options,
                                   JobContext& job, const std::string& images, bool nodeImages) {
    auto workspace = Workspace::open(model);
    if (!workspace) return workspace.error();
    auto mask = readMask(*workspace.value(), maskPath);
    if (!mask) return mask.error();
    return loadDiagram(*workspace.value(), *mask.value(), options, job, images, nodeImages);
}

}  // namespace cx::engine
