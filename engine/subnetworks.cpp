#include "engine/subnetworks.h"

#include <fnmatch.h>

#include <cmath>
#include <sstream>

#include "engine/internal/ablation.h"
#include "engine/internal/circuit_files.h"
#include "engine/internal/forward_plan.h"
#include "engine/internal/guard.h"
#include "engine/internal/mask_training.h"
#include "engine/internal/model_impl.h"
#include "engine/internal/tensor_io.h"
#include "engine/model.h"
#include "engine/runtime.h"
#include "engine/safetensors.h"

namespace cx::engine {
namespace {

struct Task {
    torch::Tensor inputs, targets;
};

Result<Task> loadTask(const std::string& path) {
    auto file = readSafetensors(path);
    if (!file) return file.error();
    const auto& t = file.value().tensors;
    const bool images = t.count("images") && t.count("labels");
    if (!images && !(t.count("inputs") && t.count("targets")))
        return invalidInput(path + ": a task file needs tensors 'inputs' and 'targets' (or 'images' and 'labels')");
    auto inputs = blobToTensor(t.at(images ? "images" : "inputs"), path);
    if (!inputs) return inputs.error();
    auto targets = blobToTensor(t.at(images ? "labels" : "targets"), path);
    if (!targets) return targets.error();
    if (targets.value().dim() != 1 || targets.value().size(0) != inputs.value().size(0) || inputs.value().size(0) == 0)
        return invalidInput(path + ": targets must be one class index per input, and there must be inputs");
    if (targets.value().lt(0).any().item<bool>()) return invalidInput(path + ": targets has labels below 0 (unlabelled data?)");
    return Task{inputs.take(), targets.take().to(torch::kInt64)};
}

Result<std::vector<int>> matchLayers(const ModelSummary& summary, const std::string& patterns) {
    std::vector<int> out;
    std::stringstream list(patterns);
    std::string pattern;
    while (std::getline(list, pattern, ',')) {
        bool any = false;
        for (size_t l = 0; l < summary.layers.size(); ++l)
            if (fnmatch(pattern.c_str(), summary.layers[l].name.c_str(), 0) == 0) {
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
};

Result<ModelAndLayers> loadModelAndLayers(const std::string& path, const std::string& patterns) {
    auto model = Model::load(path);
    if (!model) return model.error();
    auto layers = matchLayers(model.value()->summary(), patterns);
    if (!layers) return layers.error();
    return ModelAndLayers{model.take(), layers.take()};
}

void countUnits(const std::map<int, torch::Tensor>& masks, SubnetworkReport& r) {
    for (const auto& [l, m] : masks) {
        r.kept += m.to(torch::kBool).sum().item<int64_t>();
        r.total += m.numel();
    }
}

}  // namespace

Result<SubnetworkReport> runTrainMask(const TrainMaskRequest& req, JobContext& job) {
    initRuntime();
    if (req.out.empty()) return invalidInput("no output file given (--out MASK.safetensors)");
    if (req.method != "cs" && req.method != "hc") return invalidInput("method must be cs or hc, not '" + req.method + "'");
    auto granularity = parseGranularity(req.granularity);
    if (!granularity) return granularity.error();
    auto loaded = loadModelAndLayers(req.model, req.layers);
    if (!loaded) return loaded.error();
    const auto& model = loaded.value().model;
    const auto& layers = loaded.value().layers;
    auto task = loadTask(req.task);
    if (!task) return task.error();
    MaskTrainOptions o;
    o.method = req.method == "hc" ? MaskMethod::HardConcrete : MaskMethod::ContinuousSparsification;
    o.granularity = granularity.value();
    o.layers = layers;
    o.lambda = req.lambda;
    o.learningRate = req.learningRate;
    o.epochs = req.epochs;
    o.batchSize = req.batchSize;
    o.initValue = req.initValue;
    o.finalTemperature = req.finalTemperature;
    o.seed = req.seed;
    std::map<int, torch::Tensor> resumeLogits;
    if (!req.resume.empty()) {
        auto saved = readUnitMasks(req.resume, *model);
        if (!saved) return saved.error();
        if (saved.value().logits.empty()) return invalidInput(req.resume + ": the file has no logits to resume from");
        if (saved.value().granularity != o.granularity)
            return invalidInput(req.resume + ": saved at granularity " + granularityName(saved.value().granularity) + ", not " +
                                granularityName(o.granularity));
        resumeLogits = saved.value().logits;
    }
    auto trained = trainMasks(*model, task.value().inputs, task.value().targets, o, job,
                              req.resume.empty() ? nullptr : &resumeLogits);
    if (!trained) return trained.error();
    return guarded<SubnetworkReport>("writing masks", [&]() -> Result<SubnetworkReport> {
        auto masks = trained.value().hardMasks();
        Metadata meta = {{"method", req.method}, {"lambda", std::to_string(req.lambda)}, {"epochs", std::to_string(req.epochs)},
                         {"final_temperature", std::to_string(req.finalTemperature)}, {"task", req.task}};
        if (auto st = writeUnitMasks(req.out, *model, o.granularity, masks, trained.value().logits(), meta); !st)
            return st.error();
        SubnetworkReport r;
        countUnits(masks, r);
        r.accuracy = maskedAccuracy(*model, masks, task.value().inputs, task.value().targets);
        r.baseAccuracy = maskedAccuracy(*model, {}, task.value().inputs, task.value().targets);
        r.cancelled = job.cancelled();
        return r;
    });
}

Result<SubnetworkReport> runMagnitude(const MagnitudeRequest& req) {
    initRuntime();
    if (req.out.empty()) return invalidInput("no output file given (--out MASK.safetensors)");
    if (!(req.keep > 0.0 && req.keep <= 1.0)) return invalidInput("the kept fraction must be in (0, 1], got " + std::to_string(req.keep));
    auto granularity = parseGranularity(req.granularity);
    if (!granularity) return granularity.error();
    auto loaded = loadModelAndLayers(req.model, req.layers);
    if (!loaded) return loaded.error();
    const auto& model = loaded.value().model;
    const auto& layers = loaded.value().layers;
    return guarded<SubnetworkReport>("magnitude masks", [&]() -> Result<SubnetworkReport> {
        auto masks = magnitudeMasks(*model, layers, req.keep, granularity.value(), req.global);
        Metadata meta = {{"method", "magnitude"}, {"keep", std::to_string(req.keep)}, {"scope", req.global ? "global" : "per tensor"}};
        if (auto st = writeUnitMasks(req.out, *model, granularity.value(), masks, {}, meta); !st) return st.error();
        SubnetworkReport r;
        countUnits(masks, r);
        return r;
    });
}

Result<SubnetworkReport> runEvaluate(const EvaluateRequest& req) {
    initRuntime();
    auto ablation = parseAblation(req.ablation);
    if (!ablation) return ablation.error();
    if (req.repeats < 1) return invalidInput("repeats must be at least 1");
    auto loaded = Model::load(req.model);
    if (!loaded) return loaded.error();
    const auto model = loaded.take();
    auto masks = readUnitMasks(req.mask, *model);
    if (!masks) return masks.error();
    auto task = loadTask(req.task);
    if (!task) return task.error();
    return guarded<SubnetworkReport>("evaluation", [&]() -> Result<SubnetworkReport> {
        SubnetworkReport r;
        auto gen = at::detail::createCPUGenerator(req.seed);
        const int repeats = ablation.value() == Ablation::RandomlySampled || ablation.value() == Ablation::RandomAblate ? req.repeats : 1;
        std::vector<double> accuracies;
        const auto& x = task.value().inputs;
        const auto& y = task.value().targets;
        for (int k = 0; k < repeats; ++k) {
            auto weights = ablatedWeights(*model, masks.value().masks, ablation.value(), gen);
            auto plan = ForwardPlan::build(*model, {}, true, weights.params).take();
            torch::NoGradGuard noGrad;
            int64_t correct = 0;
            for (int64_t b = 0; b < x.size(0); b += 256) {
                auto logits = plan.run({x.slice(0, b, std::min(x.size(0), b + 256))}, weights.tensors).modelOutput.toTensor();
                correct += logits.argmax(-1).eq(y.slice(0, b, std::min(x.size(0), b + 256))).sum().item<int64_t>();
            }
            accuracies.push_back(double(correct) / double(x.size(0)));
        }
        double mean = 0, var = 0;
        for (double a : accuracies) mean += a / double(accuracies.size());
        for (double a : accuracies) var += (a - mean) * (a - mean) / double(accuracies.size());
        r.accuracy = mean;
        r.spread = std::sqrt(var);
        r.repeats = repeats;
        r.baseAccuracy = maskedAccuracy(*model, {}, x, y);
        countUnits(masks.value().masks, r);
        return r;
    });
}

Result<std::vector<OverlapLine>> runOverlap(const std::string& modelPath, const std::string& maskA, const std::string& maskB) {
    initRuntime();
    auto loaded = Model::load(modelPath);
    if (!loaded) return loaded.error();
    const auto model = loaded.take();
    auto a = readUnitMasks(maskA, *model);
    if (!a) return a.error();
    auto b = readUnitMasks(maskB, *model);
    if (!b) return b.error();
    if (a.value().granularity != b.value().granularity)
        return invalidInput(std::string("the masks have different granularities (") + granularityName(a.value().granularity) +
                            ", " + granularityName(b.value().granularity) + ")");
    std::vector<OverlapLine> out;
    for (const auto& r : maskOverlap(*model, a.value().masks, b.value().masks))
        out.push_back({r.name, r.onlyA, r.both, r.onlyB, r.neither, r.iou()});
    return out;
}

}  // namespace cx::engine
