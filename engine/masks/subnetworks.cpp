#include "engine/masks/subnetworks.h"

#include <fnmatch.h>

#include <cmath>
#include <set>
#include <sstream>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/data/internal/arithmetic_data.h"
#include "engine/data/internal/job_inputs.h"
#include "engine/data/internal/task_file.h"
#include "engine/io/internal/tensor_io.h"
#include "engine/io/safetensors.h"
#include "engine/masks/internal/ablation.h"
#include "engine/masks/internal/mask_training.h"
#include "engine/masks/internal/overlap.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/heads.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/circuit_files.h"
#include "engine/pruning/internal/preservation.h"
#include "engine/pruning/pruning.h"

namespace cx::engine {
namespace {

MaskScheme schemeOf(const LoadedMasks& masks) {
    auto it = masks.metadata.find("mask_bias");
    return {masks.granularity, it != masks.metadata.end() && it->second == "true"};
}

Result<std::vector<int>> matchLayers(const ModelSummary& summary, const std::string& patterns) {
    std::vector<int> out;
    std::stringstream list(patterns);
    std::string pattern;
    while (std::getline(list, pattern, ',')) {
        bool any = false;
        for (size_t l = 0; l < summary.layers.size(); ++l)
            if (fnmatch(pattern.c_str(), summary.layers[l].name.c_str(), 0) == 0) {
                // "name#2" is a second use of a weight already masked through its first use.
                if (summary.layers[l].name.find('#') != std::string::npos) {
                    any = true;
                    continue;
                }
                any = true;
                if (std::find(out.begin(), out.end(), int(l)) == out.end()) out.push_back(int(l));
            }
        if (!any) return invalidInput("the pattern '" + pattern + "' matches no layer");
    }
    std::sort(out.begin(), out.end());
    return out;
}

struct ModelAndLayers {
    std::shared_ptr<Model> model;
    std::vector<int> layers;
    Granularity granularity = Granularity::Weight;
};

// What every mask-making job checks first: the granularity, the model and the layer patterns.
Result<ModelAndLayers> modelAndLayers(const Workspace& workspace, const std::string& patterns, Granularity granularity) {
    auto layers = matchLayers(workspace.summary(), patterns);
    if (!layers) return layers.error();
    return ModelAndLayers{workspace.model(), layers.take(), granularity};
}

// A head counts once for its attention block, whichever projections carry its mask.
void countUnits(const std::map<int, torch::Tensor>& masks, Granularity granularity, const Model& model, SubnetworkReport& r) {
    std::set<std::string> counted;
    for (const auto& [l, m] : masks) {
        if (granularity == Granularity::Head && !counted.insert(attentionGroup(model.summary().layers[size_t(l)])).second) continue;
        r.kept += m.to(torch::kBool).sum().item<int64_t>();
        r.total += m.numel();
    }
}

}  // namespace

Result<SubnetworkReport> runTrainMask(const TrainMaskRequest& req, JobContext& job) {
    initRuntime();
    if (req.out.empty()) return invalidInput("no output file given (--out MASK.safetensors)");
    auto workspace = Workspace::open(req.model);
    if (!workspace) return workspace.error();
    return runTrainMask(*workspace.value(), req, req.out, job);
}

Result<SubnetworkReport> runTrainMask(Workspace& workspace, const MaskTrainingSpec& req, const std::string& out, JobContext& job) {
    initRuntime();
    if (out.empty()) return invalidInput("no output file given (--out MASK.safetensors)");
    auto loaded = modelAndLayers(workspace, req.layers, req.granularity);
    if (!loaded) return loaded.error();
    const auto& model = loaded.value().model;
    const auto& layers = loaded.value().layers;
    const Granularity granularity = loaded.value().granularity;
    MaskTrainOptions o;
    o.method = req.method;
    o.granularity = granularity;
    o.layers = layers;
    o.lambda = req.lambda;
    o.learningRate = req.learningRate;
    o.epochs = req.epochs;
    o.batchSize = req.batchSize;
    o.initValue = req.initValue;
    o.finalTemperature = req.finalTemperature;
    o.seed = req.seed;
    o.maskBias = req.maskBias;
    o.temperaturePerStep = req.temperaturePerStep;
    o.heads = req.heads;
    o.targetKept = req.targetKept;
    o.device = defaultDevice();
    if (auto st = checkTrainOptions(o); !st) return st.error();
    if (!req.preserve.empty()) {
        auto target = parseTarget(req.preserve);
        if (!target) return target.error();
        if (target.value().unit < 0) return invalidInput("feature preservation needs a target unit (LAYER:UNIT)");
        if (auto idx = resolveTarget(model->summary(), target.value()); !idx) return idx.error();
        o.preserve = target.value();
    }
    auto task = loadTask(req.task, ArithmeticSplit::Train, !o.preserve);
    if (!task) return task.error();
    if (auto fits = checkTaskFits(*model, task.value(), req.task); !fits) return fits.error();
    // Measured where the masks never trained: the built-in tasks' held-out problems, or a
    // seeded share of a task file held out here.
    if (!(req.holdout >= 0.0 && req.holdout < 1.0)) return invalidInput("the held-out share must be in [0, 1), got " + std::to_string(req.holdout));
    Task heldOut;
    std::string measuredOn;
    if (parseArithmeticOp(req.task)) {
        heldOut = loadTask(req.task, ArithmeticSplit::HeldOut).take();
        measuredOn = "the held-out problems of " + req.task;
    } else if (req.holdout > 0.0) {
        const int64_t n = task.value().inputs.size(0);
        const int64_t held = std::llround(req.holdout * double(n));
        if (held < 1 || held >= n)
            return invalidInput(req.task + ": " + std::to_string(n) + " examples cannot be split " + std::to_string(req.holdout) +
                                " held out (give --holdout 0 to measure on the training data)");
        auto gen = at::detail::createCPUGenerator(req.seed + 7919);
        auto order = torch::randperm(n, gen, torch::kInt64);
        auto pick = [&](const Task& t, const torch::Tensor& idx) {
            return Task{t.inputs.index_select(0, idx), t.targets.defined() ? t.targets.index_select(0, idx) : torch::Tensor()};
        };
        heldOut = pick(task.value(), order.narrow(0, 0, held));
        task = pick(task.value(), order.narrow(0, held, n - held));
        measuredOn = std::to_string(held) + " held-out examples (" + std::to_string(std::llround(100 * req.holdout)) +
                     "%, seed " + std::to_string(req.seed) + ") of " + req.task;
    } else {
        heldOut = task.value();
        measuredOn = "the training data (no hold-out)";
    }
    std::map<int, torch::Tensor> resumeLogits;
    if (!req.resume.empty()) {
        auto saved = readUnitMasks(req.resume, *model);
        if (!saved) return saved.error();
        if (saved.value().logits.empty()) return invalidInput(req.resume + ": the file has no logits to resume from");
        if (saved.value().granularity != o.granularity)
            return invalidInput(req.resume + ": saved at granularity " + nameOf(saved.value().granularity) + ", not " +
                                nameOf(o.granularity));
        resumeLogits = saved.value().logits;
    }
    torch::Tensor original;  // feature preservation: the target's activations in the whole model
    if (o.preserve) {
        auto computed = guarded<torch::Tensor>("target activations", [&]() -> Result<torch::Tensor> {
            return targetActivations(*model, task.value().inputs, *o.preserve, nullptr, 256, job, o.device).to(torch::kFloat32);
        });
        if (!computed) return computed.error();
        original = computed.take();
    }
    const auto& targets = o.preserve ? original : task.value().targets;
    auto trained = trainMasks(*model, task.value().inputs, targets, o, job, req.resume.empty() ? nullptr : &resumeLogits);
    if (!trained) return trained.error();
    return guarded<SubnetworkReport>("writing masks", [&]() -> Result<SubnetworkReport> {
        std::map<int, torch::Tensor> masks, logits;  // on the CPU, to be written
        for (const auto& [l, m] : trained.value().hardMasks()) masks[l] = m.cpu();
        for (const auto& [l, s] : trained.value().logits()) logits[l] = s.detach().cpu();
        Metadata meta = {{"method", nameOf(req.method)}, {"lambda", std::to_string(req.lambda)}, {"epochs", std::to_string(req.epochs)},
                         {"final_temperature", std::to_string(req.finalTemperature)}, {"task", req.task},
                         {"mask_bias", req.maskBias ? "true" : "false"}, {"layers", req.layers},
                         {"temperature_schedule", req.temperaturePerStep ? "step" : "epoch"}, {"heads", std::to_string(req.heads)},
                         {"init", std::to_string(req.initValue)}, {"learning_rate", std::to_string(req.learningRate)}};
        if (req.targetKept > 0) meta["target_kept"] = std::to_string(req.targetKept);
        meta["measured_on"] = measuredOn;
        meta["holdout"] = std::to_string(req.holdout);
        if (o.preserve) meta["target"] = o.preserve->text();
        if (auto st = writeUnitMasks(out, *model, o.granularity, masks, logits, meta); !st)
            return st.error();
        SubnetworkReport r;
        countUnits(masks, o.granularity, *model, r);
        r.measuredOn = measuredOn;
        if (r.kept == 0)
            r.warning = "the mask keeps no unit: lower --lambda (or --target-kept), raise --init or train for more epochs";
        if (o.preserve) {
            const auto weights = maskedWeights(*model, masks, o.scheme());
            JobContext measuring;  // a stopped training still reports on the masks it wrote
            const auto before =
                targetActivations(*model, heldOut.inputs, *o.preserve, nullptr, 256, measuring, o.device).to(torch::kFloat32);
            r.preservation = absPearson(before, targetActivationsWith(*model, heldOut.inputs, *o.preserve, weights.params,
                                                                      weights.tensors, 256, o.device),
                                        PearsonMode::Flattened);
        } else {
            r.accuracy = maskedAccuracy(*model, masks, heldOut.inputs, heldOut.targets, o.scheme(), o.device);
            r.baseAccuracy = maskedAccuracy(*model, {}, heldOut.inputs, heldOut.targets, {}, o.device);
        }
        r.cancelled = job.cancelled();
        return r;
    });
}

Result<SubnetworkReport> runMagnitude(const MagnitudeRequest& req) {
    initRuntime();
    if (req.out.empty()) return invalidInput("no output file given (--out MASK.safetensors)");
    if (!(req.keep > 0.0 && req.keep <= 1.0)) return invalidInput("the kept fraction must be in (0, 1], got " + std::to_string(req.keep));
    auto workspace = Workspace::open(req.model);
    if (!workspace) return workspace.error();
    return runMagnitude(*workspace.value(), req);
}

Result<SubnetworkReport> runMagnitude(Workspace& workspace, const MagnitudeRequest& req) {
    initRuntime();
    if (req.out.empty()) return invalidInput("no output file given (--out MASK.safetensors)");
    if (!(req.keep > 0.0 && req.keep <= 1.0)) return invalidInput("the kept fraction must be in (0, 1], got " + std::to_string(req.keep));
    auto loaded = modelAndLayers(workspace, req.layers, req.granularity);
    if (!loaded) return loaded.error();
    const auto& model = loaded.value().model;
    const auto& layers = loaded.value().layers;
    const Granularity granularity = loaded.value().granularity;
    if (granularity == Granularity::Head)
        for (int l : layers)
            if (model->summary().layers[size_t(l)].heads == 0)
                return invalidInput("layer " + model->summary().layers[size_t(l)].name +
                                    " has no detected attention heads (magnitude masks at head granularity need num_heads)");
    return guarded<SubnetworkReport>("magnitude masks", [&]() -> Result<SubnetworkReport> {
        auto masks = magnitudeMasks(*model, layers, req.keep, granularity, req.global);
        Metadata meta = {{"method", "magnitude"}, {"keep", std::to_string(req.keep)}, {"scope", req.global ? "global" : "per tensor"}};
        if (auto st = writeUnitMasks(req.out, *model, granularity, masks, {}, meta); !st) return st.error();
        SubnetworkReport r;
        countUnits(masks, granularity, *model, r);
        return r;
    });
}

Result<SubnetworkReport> runEvaluate(const EvaluateRequest& req) {
    initRuntime();
    if (req.repeats < 1) return invalidInput("repeats must be at least 1");
    auto workspace = Workspace::open(req.model);
    if (!workspace) return workspace.error();
    return runEvaluate(*workspace.value(), req);
}

Result<SubnetworkReport> runEvaluate(Workspace& workspace, const EvaluateRequest& req) {
    initRuntime();
    if (req.repeats < 1) return invalidInput("repeats must be at least 1");
    const auto& model = workspace.model();
    auto masks = readUnitMasks(req.mask, *model);
    if (!masks) return masks.error();
    auto task = loadTask(req.task, ArithmeticSplit::HeldOut);
    if (!task) return task.error();
    if (auto fits = checkTaskFits(*model, task.value(), req.task); !fits) return fits.error();
    if (req.ablation == Ablation::RandomlySampled)
        if (const std::string why = complementTooSmall(*model, masks.value().masks); !why.empty())
            return invalidInput(req.mask + ": " + why);
    return guarded<SubnetworkReport>("evaluation", [&]() -> Result<SubnetworkReport> {
        SubnetworkReport r;
        auto gen = at::detail::createCPUGenerator(req.seed);
        const int repeats = req.ablation == Ablation::RandomlySampled || req.ablation == Ablation::RandomAblate ? req.repeats : 1;
        const auto scheme = schemeOf(masks.value());
        std::vector<double> accuracies;
        const auto& x = task.value().inputs;
        const auto& y = task.value().targets;
        const std::string device = defaultDevice();
        for (int k = 0; k < repeats; ++k)
            accuracies.push_back(
                weightsAccuracy(*model, ablatedWeights(*model, masks.value().masks, req.ablation, gen, scheme), x, y, device));
        double mean = 0, var = 0;
        for (double a : accuracies) mean += a / double(accuracies.size());
        for (double a : accuracies) var += (a - mean) * (a - mean) / double(accuracies.size());
        r.accuracy = mean;
        r.spread = std::sqrt(var);
        r.repeats = repeats;
        r.baseAccuracy = maskedAccuracy(*model, {}, x, y, {}, device);
        countUnits(masks.value().masks, masks.value().granularity, *model, r);
        const auto trainedOn = masks.value().metadata.find("task");
        r.measuredOn = parseArithmeticOp(req.task) ? "the held-out problems of " + req.task : req.task;
        if (trainedOn != masks.value().metadata.end() && trainedOn->second == req.task && !parseArithmeticOp(req.task))
            r.warning = req.task + " is the file the mask was trained on: this is not a held-out accuracy (give another file)";
        return r;
    });
}

Result<std::vector<OverlapLine>> runOverlap(const std::string& modelPath, const std::string& maskA, const std::string& maskB,
                                            OverlapBy by) {
    initRuntime();
    auto workspace = Workspace::open(modelPath);
    if (!workspace) return workspace.error();
    return runOverlap(*workspace.value(), maskA, maskB, by);
}

Result<std::vector<OverlapLine>> runOverlap(Workspace& workspace, const std::string& maskA, const std::string& maskB, OverlapBy by) {
    auto a = readMask(workspace, maskA);
    if (!a) return a.error();
    auto b = readMask(workspace, maskB);
    if (!b) return b.error();
    return maskOverlap(workspace, *a.value(), *b.value(), by);
}

Result<std::vector<OverlapLine>> maskOverlap(const Workspace& workspace, const Mask& a, const Mask& b, OverlapBy by) {
    if (a.data.granularity != b.data.granularity)
        return invalidInput(std::string("the masks have different granularities (") + nameOf(a.data.granularity) + ", " +
                            nameOf(b.data.granularity) + ")");
    std::vector<OverlapLine> out;
    for (const auto& r : maskOverlapBy(*workspace.model(), a.data.masks, b.data.masks, a.data.granularity, by))
        out.push_back({r.name, r.onlyA, r.both, r.onlyB, r.neither, r.iou(), r.absentIn});
    return out;
}

}  // namespace cx::engine
