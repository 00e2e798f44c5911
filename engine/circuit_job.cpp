#include "engine/circuit_job.h"

#include <filesystem>

#include "engine/demo_run.h"

namespace cx::engine {

Result<FoundCircuit> findCircuit(const FindCircuitRequest& req, JobContext& job) {
    if (req.workDir.empty()) return invalidInput("no working folder for the circuit's files");
    std::error_code ec;
    std::filesystem::create_directories(req.workDir, ec);
    if (ec) return invalidInput("cannot create " + req.workDir + ": " + ec.message());
    const auto in = [&](const char* name) { return (std::filesystem::path(req.workDir) / name).string(); };
    FoundCircuit out;
    std::string images = req.images;
    if (images.empty()) {
        job.progress("images", 0.0);
        images = in("images.safetensors");
        if (auto st = writeShapesImages(images, 256, 5); !st) return st.error();
    }
    if (job.cancelled()) return cancelledError();
    out.imagesFile = images;
    if (!req.reuseScores.empty() && std::filesystem::exists(req.reuseScores)) {
        out.scoresFile = req.reuseScores;
    } else {
        ScoreRequest score;
        score.model = req.model;
        score.images = images;
        score.target = req.target;
        score.directionFile = req.directionFile;
        score.criterion = req.criterion;
        if (req.criterion == Criterion::Force) {  // FORCE's schedule runs towards this circuit's size
            score.sparsity = req.sparsity;
            score.minmax = req.minmax;
        }
        score.granularity = req.granularity;
        score.objective = req.objective;
        score.out = out.scoresFile = in("scores.safetensors");
        JobContext scoring(job.token());
        scoring.onProgress = [&job](const Progress& p) { job.progress("score", p.fraction); };
        if (auto r = runScore(score, scoring); !r) return r.error();
    }
    if (job.cancelled()) return cancelledError();
    job.progress("prune", 0.0);
    PruneRequest prune;
    prune.model = req.model;
    prune.scores = out.scoresFile;
    prune.sparsity = req.sparsity;
    prune.minmax = req.minmax;
    prune.bias = req.bias;
    prune.out = out.maskFile = in("mask.safetensors");
    auto pruned = runPrune(prune, job);
    if (!pruned) return pruned.error();
    out.prune = pruned.take();
    job.progress("activations", 0.0);
    auto activations = circuitActivations(req.model, images, out.maskFile, req.target, job, 20000, req.directionFile);
    if (!activations) return activations.error();
    out.activations = activations.take();
    auto diagram = loadDiagram(req.model, out.maskFile, req.diagram, job, images, req.nodeImages);
    if (!diagram) return diagram.error();
    out.diagram = diagram.take();
    return out;
}

Result<CircuitDiagram> loadDiagram(const std::string& model, const std::string& mask, const DiagramOptions& options,
                                   JobContext& job, const std::string& images, bool nodeImages) {
    auto diagram = buildDiagram(model, mask, "", options);
    if (!diagram) return diagram.error();
    if (job.cancelled()) return cancelledError();
    if (nodeImages) {
        job.progress("node images", 0.0);
        if (auto st = addNodeImages(diagram.value(), model, images, job); !st) return st.error();
    }
    job.progress("layout", 0.0);
    if (auto st = layoutDiagram(diagram.value(), options, job); !st) return st.error();
    job.progress("layout", 1.0);
    return diagram;
}

}  // namespace cx::engine
