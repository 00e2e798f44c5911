#include "engine/pruning/pruning.h"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "engine/core/internal/guard.h"
#include "engine/core/parse_number.h"
#include "engine/core/runtime.h"
#include "engine/data/arithmetic.h"
#include "engine/data/internal/arithmetic_data.h"
#include "engine/data/internal/image_set.h"
#include "engine/data/internal/job_inputs.h"
#include "engine/io/file_read.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/circuit_files.h"
#include "engine/pruning/internal/force.h"

namespace cx::engine {
namespace {

std::string formatNumber(double v) {
    std::ostringstream out;
    out << std::setprecision(12) << v;
    return out.str();
}



std::vector<LayerCount> counts(const ModelSummary& s, const std::map<int, torch::Tensor>& relevant,
                               const Circuit* circuit) {
    std::vector<LayerCount> out;
    for (const auto& [l, rel] : relevant) {
        LayerCount c{s.layers[size_t(l)].name, rel.sum().item<int64_t>(), 0, 0};
        if (circuit) {
            c.kept = circuit->kept.at(l).sum().item<int64_t>();
            c.effective = circuit->effective.at(l).sum().item<int64_t>();
        }
        out.push_back(c);
    }
    return out;
}

// FORCE scores rank towards one circuit size: they prune at that size (the default) and with
// the min-max choice their steps were ranked by, or not at all.
Result<double> forceCompatibleSparsity(const PruneSpec& req, const std::string& source, const Metadata& meta) {
    auto method = meta.find("method");
    if (method == meta.end() || method->second != "force") {
        if (req.sparsity == 0.0 && req.cumulative == 0.0) return invalidInput("give the sparsity to prune at (--sparsity S)");
        return req.sparsity;
    }
    auto recorded = meta.find("force_sparsity");
    if (recorded == meta.end())
        return invalidInput(source + ": FORCE scores without the sparsity they were made for; score again with cx score --criterion force --sparsity S");
    const auto parsed = parseFinite(recorded->second);
    if (!parsed || !(*parsed > 0.0 && *parsed <= 1.0))
        return invalidInput(source + ": metadata 'force_sparsity' must be a number in (0, 1], not '" + recorded->second + "'");
    const double made = *parsed;
    const std::string again = "run cx score --criterion force --sparsity S for another size";
    if (req.cumulative != 0.0) return invalidInput("FORCE scores prune at the size they were made for (" + recorded->second + "), not by a cumulative share; " + again);
    if (req.perLayerQuota) return invalidInput("FORCE scores prune by global rank, not per-layer quotas; " + again);
    if (req.sparsity != 0.0 && std::abs(req.sparsity - made) > 1e-9)
        return invalidInput(source + " holds FORCE scores for sparsity " + recorded->second + ", not " +
                            formatNumber(req.sparsity) + "; " + again);
    auto minmax = meta.find("force_minmax");
    if (minmax != meta.end() && (minmax->second == "true") != req.minmax)
        return invalidInput(source + ": FORCE ranked its steps " + (req.minmax ? "without" : "with") +
                            " min-max; prune it the same way, or score again");
    return made;
}

}  // namespace

Result<std::vector<double>> readDirection(const std::string& path) {
    auto bytes = readInputFile(path, "direction file");
    if (!bytes) return bytes.error();
    std::istringstream in(std::string(bytes.value().begin(), bytes.value().end()));
    std::vector<double> out;
    std::string token;
    while (in >> token) {
        std::stringstream parts(token);
        std::string item;
        while (std::getline(parts, item, ',')) {
            if (item.empty()) continue;
            const auto v = parseFinite(item);
            if (!v) return invalidInput("direction file " + path + ": '" + item + "' is not a finite number");
            out.push_back(*v);
        }
    }
    return out;
}

int64_t inputChannels(const ModelSummary& s) {
    for (const auto& l : s.layers)
        for (const auto& seg : l.inputs)
            if (seg.source == kModelInput && seg.mode == FlowMode::Identity && seg.channels > 0) return seg.channels;
    return -1;
}

Result<TargetSpec> prepareTarget(const ScoreSpec& req) {
    auto target = parseTarget(req.target);
    if (!target) return target.error();
    if (auto st = parseObjective(req.objective, target.value()); !st) return st.error();
    if (!req.directionFile.empty()) {
        if (target.value().unit >= 0) return invalidInput("give either LAYER:UNIT or --direction, not both");
        auto d = readDirection(req.directionFile);
        if (!d) return d.error();
        target.value().direction = d.take();
    }
    return target;
}

Result<ImageSet> loadCheckedImages(const Model& model, const std::string& path, const ImageOptions& options) {
    const auto op = parseArithmeticOp(path);  // the demo transformer's tasks: their held-out prompts
    auto images = op ? Result<ImageSet>(tokenSet(arithmeticTask(*op, ArithmeticSplit::HeldOut).inputs, path, options.limit))
                     : loadImages(path, options);
    if (!images) return images.error();
    const int64_t rank = model.summary().inputRank;
    if (rank > 0 && images.value().images.dim() != rank)
        return invalidInput(path + ": the inputs are batches of rank " + std::to_string(images.value().images.dim()) +
                            " but the model was specialised for rank " + std::to_string(rank) +
                            " (its forward checks its input's rank; see cx inspect's notes)");
    if (op) return images;
    const int64_t expected = inputChannels(model.summary());
    if (expected > 0 && images.value().info.channels != expected)
        return invalidInput(path + ": the images have " + std::to_string(images.value().info.channels) +
                            " channels but the model expects " + std::to_string(expected));
    return images;
}

Result<torch::Tensor> probeOutput(const Model& model, const torch::Tensor& inputs, const std::string& source) {
    auto plan = ForwardPlan::build(model, {}, true);
    if (!plan) return plan.error();
    try {
        torch::NoGradGuard noGrad;
        auto out = plan.value().run({inputs.narrow(0, 0, std::min<int64_t>(2, inputs.size(0)))}).modelOutput;
        if (!out.isTensor()) return invalidInput(model.summary().path + ": the model's output is not a tensor");
        return out.toTensor();
    } catch (const std::exception& e) {  // c10::Error and the interpreter's exceptions
        return invalidInput(source + ": the model cannot take these inputs: " + errorReason(e.what()));
    }
}

namespace {

Status checkScoreSpec(const ScoreSpec& spec) {
    if (spec.granularity == Granularity::Head) return invalidInput(kHeadsAreForMasks);
    if (spec.criterion == Criterion::Force && !(spec.sparsity > 0.0 && spec.sparsity <= 1.0))
        return invalidInput("FORCE scores are made for one circuit size: give --sparsity S in (0, 1]");
    return Done{};
}

// Everything that makes two scoring runs on the same images give the same scores.
std::string scoresKey(const ScoreSpec& spec, const TargetSpec& target) {
    std::ostringstream key;
    key.precision(17);
    key << "scores|" << Workspace::Impl::imagesKey(spec.images, spec.imageOptions) << '|' << target.text() << '|'
        << objectiveText(target) << '|' << nameOf(spec.criterion) << '|' << nameOf(spec.granularity) << '|'
        << spec.batchSize << '|' << spec.seed;
    for (double d : target.direction) key << ',' << d;
    if (spec.criterion == Criterion::Force) key << '|' << spec.sparsity << '|' << spec.minmax;
    return key.str();
}

size_t scoresBytes(const Scores& s) {
    return tensorBytes(s.data.scores.scores) + tensorBytes(s.data.scores.relevant) + tensorBytes(s.data.scores.kernelRelevant);
}

}  // namespace

Result<ScoresHandle> computeScores(Workspace& workspace, const ScoreSpec& spec, JobContext& job) {
    initRuntime();
    if (auto st = checkScoreSpec(spec); !st) return st.error();
    auto target = prepareTarget(spec);
    if (!target) return target.error();
    auto& ws = workspace.impl();
    const Model& model = *ws.model;
    if (auto resolved = resolveTarget(model.summary(), target.value()); !resolved) return resolved.error();
    const std::string key = scoresKey(spec, target.value());
    if (auto cached = ws.find<Scores>(key)) {
        ws.count(&WorkspaceStats::scoreHits);
        return ScoresHandle(cached);
    }
    job.progress("load images", 0.0);
    auto images = ws.images(spec.images, spec.imageOptions);
    if (!images) return images.error();
    ScoreOptions options;
    options.target = target.value();
    options.criterion = spec.criterion;
    options.batchSize = spec.batchSize;
    options.seed = spec.seed;
    options.device = defaultDevice();
    options.granularity = spec.granularity;
    Metadata meta = {{"method", nameOf(spec.criterion)}, {"target", target.value().text()},
                     {"objective", objectiveText(target.value())}, {"images_source", spec.images}};
    Result<UnitScores> scores = Error{ErrorCode::Internal, "not scored"};
    if (options.criterion == Criterion::Force) {
        const ForceOptions force{spec.minmax, 10};
        auto levels = forceScores(model, images.value()->images, options, {spec.sparsity}, force, job);
        if (!levels) return levels.error();
        scores = std::move(levels.value().front());
        meta["force_sparsity"] = formatNumber(spec.sparsity);
        meta["force_steps"] = std::to_string(force.steps);
        meta["force_minmax"] = spec.minmax ? "true" : "false";
    } else {
        scores = scoreKernels(model, images.value()->images, options, job);
    }
    if (!scores) return scores.error();
    ws.count(&WorkspaceStats::scoreRuns);
    auto out = std::make_shared<Scores>();
    out->data.scores = scores.take();
    out->data.target = target.take();
    out->data.metadata = scoresMetadata(model, out->data.scores, std::move(meta), &out->data.target);
    out->source = nameOf(spec.criterion) + std::string(" scores of ") + out->data.target.text();
    ws.keep(key, out, scoresBytes(*out));
    return ScoresHandle(out);
}

Result<ScoresHandle> readScores(Workspace& workspace, const std::string& path) {
    initRuntime();
    auto loaded = readScoresFile(path, *workspace.model());
    if (!loaded) return loaded.error();
    auto out = std::make_shared<Scores>();
    out->data = loaded.take();
    out->source = path;
    return ScoresHandle(out);
}

Status writeScores(const Workspace& workspace, const Scores& scores, const std::string& path) {
    return writeScoresFile(path, *workspace.model(), scores.data.scores, scores.data.metadata, &scores.data.target);
}

ScoreReport scoreReport(const Workspace& workspace, const Scores& scores) {
    ScoreReport report;
    report.relevant = scores.data.scores.relevantCount;
    report.images = scores.data.scores.images;
    report.layers = counts(workspace.summary(), scores.data.scores.relevant, nullptr);
    return report;
}

Result<PrunedCircuit> pruneCircuit(Workspace& workspace, const Scores& scores, const PruneSpec& spec, JobContext& job) {
    initRuntime();
    if (spec.cumulative == 0.0 && !(spec.sparsity >= 0.0 && spec.sparsity <= 1.0))
        return invalidInput("sparsity must be in (0, 1], got " + std::to_string(spec.sparsity));
    const Model& model = *workspace.model();
    auto sparsity = forceCompatibleSparsity(spec, scores.source, scores.data.metadata);
    if (!sparsity) return sparsity.error();
    CircuitOptions options{sparsity.value(), spec.minmax, spec.bias, spec.perLayerQuota, spec.cumulative};
    auto circuit = selectCircuit(model, scores.data.scores, options);
    if (!circuit) return circuit.error();
    if (job.cancelled()) return cancelledError();
    Metadata meta = scores.data.metadata;
    meta["minmax"] = spec.minmax ? "true" : "false";
    if (spec.perLayerQuota) meta["selection"] = "per-layer quota";
    if (spec.cumulative > 0.0) meta["selection"] = "cumulative " + std::to_string(spec.cumulative);
    const auto& c = circuit.value();
    auto mask = std::make_shared<Mask>();
    mask->data = circuitMasks(model, c, scores.data.scores, std::move(meta));
    PrunedCircuit out;
    out.report = PruneReport{c.sparsity, c.relevant, c.keptCount, c.effectiveCount, c.disconnected,
                             counts(model.summary(), scores.data.scores.relevant, &c)};
    out.mask = std::move(mask);
    return out;
}

Result<MaskHandle> readMask(Workspace& workspace, const std::string& path) {
    initRuntime();
    auto loaded = readUnitMasks(path, *workspace.model());
    if (!loaded) return loaded.error();
    auto out = std::make_shared<Mask>();
    out->data = loaded.take();
    out->source = path;
    return MaskHandle(out);
}

Status writeMask(const Workspace& workspace, const Mask& mask, const std::string& path) {
    return writeMasks(path, *workspace.model(), mask.data);
}

Result<ScoreReport> runScore(const ScoreRequest& req, JobContext& job) {
    initRuntime();
    if (req.out.empty()) return invalidInput("no output file given (--out SCORES.safetensors)");
    if (auto st = checkScoreSpec(req); !st) return st.error();
    if (auto target = prepareTarget(req); !target) return target.error();
    auto workspace = Workspace::open(req.model);
    if (!workspace) return workspace.error();
    auto& ws = *workspace.value();
    auto scores = computeScores(ws, req, job);
    if (!scores) return scores.error();
    if (auto st = writeScores(ws, *scores.value(), req.out); !st) return st.error();
    return scoreReport(ws, *scores.value());
}

Result<PruneReport> runPrune(const PruneRequest& req, JobContext& job) {
    initRuntime();
    if (req.out.empty()) return invalidInput("no output file given (--out MASK.safetensors)");
    if (req.cumulative == 0.0 && !(req.sparsity >= 0.0 && req.sparsity <= 1.0))
        return invalidInput("sparsity must be in (0, 1], got " + std::to_string(req.sparsity));
    auto workspace = Workspace::open(req.model);
    if (!workspace) return workspace.error();
    auto& ws = *workspace.value();
    auto scores = readScores(ws, req.scores);
    if (!scores) return scores.error();
    auto pruned = pruneCircuit(ws, *scores.value(), req, job);
    if (!pruned) return pruned.error();
    if (auto st = writeMask(ws, *pruned.value().mask, req.out); !st) return st.error();
    return pruned.value().report;
}

}  // namespace cx::engine
