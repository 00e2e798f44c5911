#include "engine/pruning/internal/scoring.h"

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/kernel_graph.h"
#include "engine/model/internal/model_impl.h"
#include "engine/pruning/internal/saliency.h"

#include <algorithm>
#include <cmath>

namespace cx::engine {
namespace {

torch::Tensor gridTensor(const std::vector<uint8_t>& grid, int64_t out, int64_t ipg) {
    return torch::from_blob(const_cast<uint8_t*>(grid.data()), {out, ipg}, torch::kUInt8).to(torch::kBool).clone();
}

// Scores only the output rows that hold relevant kernels (in the target layer: the target
// rows), then places them in the full unit grid.
torch::Tensor scoreRelevantRows(const LayerInfo& info, const torch::Tensor& weight, const torch::Tensor& a,
                                const torch::Tensor& y, const torch::Tensor& g, const torch::Tensor& kernelRelevant,
                                Criterion criterion, Granularity granularity) {
    auto score = [&](const LayerInfo& l, const torch::Tensor& w, const torch::Tensor& y2, const torch::Tensor& g2) {
        return criterion == Criterion::ActGrad ? actGradScores(l, w, a, y2, g2, granularity)
                                               : snipScores(l, w, a, g2, granularity);
    };
    auto rows = kernelRelevant.any(1).nonzero().flatten();
    if (rows.numel() == kernelRelevant.size(0) || info.groups != 1) return score(info, weight, y, g);
    rows = rows.to(weight.device());
    LayerInfo sub = info;
    sub.kind = info.kind == LayerKind::TransposedLinear ? LayerKind::Linear : info.kind;
    sub.outChannels = rows.numel();
    const int64_t channelDim = info.isConv() ? 1 : g.dim() - 1;
    auto part = score(sub, outputMajor(info, weight).index_select(0, rows), y.index_select(channelDim, rows),
                      g.index_select(channelDim, rows));
    auto shape = unitShape(info, weight, granularity);
    return torch::zeros(shape, part.options()).index_copy_(0, rows, part);
}

}  // namespace

std::vector<int64_t> targetRows(const TargetSpec& target) {
    if (target.unit >= 0) return {target.unit};
    std::vector<int64_t> rows;
    for (size_t c = 0; c < target.direction.size(); ++c)
        if (target.direction[c] != 0.0) rows.push_back(int64_t(c));
    return rows;
}

torch::Tensor perImageObjective(const LayerInfo& layer, const TargetSpec& target, const torch::Tensor& y) {
    const int64_t channelDim = layer.isConv() ? 1 : y.dim() - 1;
    torch::Tensor f;
    if (target.unit >= 0) {
        f = y.select(channelDim, target.unit);
    } else {
        auto d = torch::tensor(target.direction, y.options());
        f = torch::tensordot(y, d, {channelDim}, {0});
    }
    f = f.reshape({f.size(0), -1});  // N x positions
    switch (target.objective) {
        case Objective::SumAbs: return f.abs().sum(1);
        case Objective::Max: return std::get<0>(f.max(1));
        case Objective::Mean: return f.mean(1);
        case Objective::Sum: return f.sum(1);
        case Objective::Position: {
            // A 2-d map (H x W) or a sequence (positions, W unused): a position outside it is bad input.
            const int64_t height = y.dim() == 4 ? y.size(2) : f.size(1), width = y.dim() == 4 ? y.size(3) : 1;
            const int64_t w = y.dim() == 4 ? target.positionW : 0;
            if (target.positionH >= height || (y.dim() == 4 && target.positionW >= width))
                throw InputError("objective position:" + std::to_string(target.positionH) + "," + std::to_string(target.positionW) +
                                 " lies outside the target's " + std::to_string(height) + " x " + std::to_string(width) +
                                 " positions");
            return f.select(1, target.positionH * width + w);
        }
    }
    return f.abs().sum(1);
}

namespace {

// The kernels (and units) that can reach the target, per layer; returns those layers in order.
std::vector<int> markRelevant(const Model& model, const ScoreOptions& options, UnitScores& out) {
    const auto& summary = model.summary();
    const KernelGraph graph(summary);
    const KernelGrid relevant = graph.relevant(out.targetLayer, out.targetRows);
    std::vector<int> layers;
    for (size_t l = 0; l < relevant.size(); ++l) {
        if (relevant[l].empty()) continue;
        layers.push_back(int(l));
        const auto& info = summary.layers[l];
        auto kernels = gridTensor(relevant[l], graph.outUnits(int(l)), graph.inPerGroup(int(l)));
        out.kernelRelevant[int(l)] = kernels;
        out.relevant[int(l)] = unitsFromKernels(kernels, unitShape(info, model.impl().param(info.param), options.granularity),
                                                options.granularity);
        out.relevantCount += out.relevant[int(l)].sum().item<int64_t>();
    }
    return layers;
}

// Irrelevant units score 0; scores are float32 on the CPU.
void keepScores(UnitScores& out, int l, const torch::Tensor& s) {
    out.scores[l] = (s.to(torch::kCPU).to(torch::kFloat32) * out.relevant[l]).contiguous();
}

// Magnitude and Random: from the weights alone.
void scoreFromWeights(const Model& model, const ScoreOptions& options, const std::vector<int>& layers, UnitScores& out) {
    auto gen = at::detail::createCPUGenerator(options.seed);
    for (int l : layers) {
        const auto& info = model.summary().layers[size_t(l)];
        const auto& weight = model.impl().param(info.param);
        keepScores(out, l, options.criterion == Criterion::Magnitude ? magnitudeScores(info, weight, options.granularity)
                                                                     : at::rand(unitShape(info, weight, options.granularity), gen));
    }
}

// One target of a shared scoring pass: its unit (or direction), its relevant layers and scores.
struct ScoredTarget {
    TargetSpec target;
    std::vector<int> layers;
    UnitScores* out = nullptr;
};

// ActGrad and SNIP: one truncated forward per batch, then one backward per target (all targets
// in one layer), accumulated per layer. A single target runs exactly this too, so a population
// scores each unit with the same operations in the same order as a run of its own.
Status scoreFromGradients(const Model& model, const torch::Tensor& images, const ScoreOptions& options,
                          const std::vector<ScoredTarget>& targets, const std::map<int, torch::Tensor>* masks, JobContext& job) {
    const auto& summary = model.summary();
    std::vector<int> layers;  // the union of the targets' relevant layers, in model order
    for (const auto& t : targets) layers.insert(layers.end(), t.layers.begin(), t.layers.end());
    std::sort(layers.begin(), layers.end());
    layers.erase(std::unique(layers.begin(), layers.end()), layers.end());
    std::map<int, size_t> slot;
    std::vector<Probe> probes;
    std::vector<std::string> params;
    for (int l : layers) {
        slot[l] = probes.size() / 2;
        probes.push_back({l, ProbeSide::Input});
        probes.push_back({l, ProbeSide::Output});
        params.push_back(summary.layers[size_t(l)].param);
    }
    auto plan = ForwardPlan::build(model, probes, false, params, options.device);
    if (!plan) return plan.error();
    const torch::Device device(options.device);
    std::vector<torch::Tensor> weights, effective;  // original weights; what the forward uses
    for (size_t k = 0; k < params.size(); ++k) {
        auto w = paramOn(model, params[k], device).detach();
        weights.push_back(w);
        auto it = masks ? masks->find(layers[k]) : decltype(masks->end()){};
        const bool masked = masks && it != masks->end();
        auto used = masked ? w * unitMaskForWeight(summary.layers[size_t(layers[k])], w, it->second.to(device)) : w;
        effective.push_back(used.detach().requires_grad_(true));
    }
    const int targetLayer = targets.front().out->targetLayer;
    const auto& targetInfo = summary.layers[size_t(targetLayer)];
    std::vector<std::map<int, torch::Tensor>> acc(targets.size());
    const int64_t n = images.size(0);
    for (int64_t b = 0; b < n; b += options.batchSize) {
        if (job.cancelled()) return cancelledError();
        auto x = images.narrow(0, b, std::min(options.batchSize, n - b)).to(device);
        auto run = plan.value().run({x}, effective);
        const int64_t examples = x.size(0);
        const auto y = examplesFirst(targetInfo, run.probes[2 * slot.at(targetLayer) + 1], examples);
        for (size_t t = 0; t < targets.size(); ++t) {
            if (job.cancelled()) return cancelledError();
            const auto& target = targets[t];
            auto objective = perImageObjective(targetInfo, target.target, y).sum();
            std::vector<torch::Tensor> outputs;
            for (int l : target.layers) outputs.push_back(run.probes[2 * slot.at(l) + 1]);
            const bool more = t + 1 < targets.size();  // the graph is kept for the next target's backward
            auto grads = torch::autograd::grad({objective}, outputs, {}, more, false, true);
            for (size_t k = 0; k < target.layers.size(); ++k) {
                const int l = target.layers[k];
                const auto& info = summary.layers[size_t(l)];
                auto g = grads[k].defined() ? grads[k] : torch::zeros_like(outputs[k]);
                const auto& a = run.probes[2 * slot.at(l)].detach();
                auto s = scoreRelevantRows(info, weights[slot.at(l)], examplesFirst(info, a, examples),
                                           examplesFirst(info, outputs[k].detach(), examples), examplesFirst(info, g, examples),
                                           target.out->kernelRelevant.at(l), options.criterion, options.granularity);
                acc[t][l] = acc[t].count(l) ? acc[t][l] + s : s;
            }
        }
        job.progress("score", double(std::min(n, b + options.batchSize)) / double(n));
    }
    for (size_t t = 0; t < targets.size(); ++t)
        for (int l : targets[t].layers) keepScores(*targets[t].out, l, acc[t][l]);
    return Done{};
}

// The target's rows, relevance and layers, before any scoring.
std::vector<int> prepareScores(const Model& model, const ScoreOptions& options, int targetLayer, const TargetSpec& target,
                               int64_t images, UnitScores& out) {
    out.targetLayer = targetLayer;
    out.targetRows = targetRows(target);
    out.images = images;
    out.granularity = options.granularity;
    ScoreOptions own = options;
    own.target = target;
    return markRelevant(model, own, out);
}

}  // namespace

Result<UnitScores> scoreKernels(const Model& model, const torch::Tensor& images, const ScoreOptions& options,
                                  JobContext& job, const std::map<int, torch::Tensor>* masks) {
    initRuntime();
    auto target = resolveTarget(model.summary(), options.target);
    if (!target) return target.error();
    if (images.size(0) == 0) return invalidInput("the image set is empty");
    if (options.batchSize < 1) return invalidInput("batch size must be at least 1");
    if (options.criterion == Criterion::Force)
        return invalidInput("FORCE scores belong to one circuit size: give the target sparsity (cx score --sparsity)");
    return guarded<UnitScores>("scoring", [&]() -> Result<UnitScores> {
        UnitScores out;
        const std::vector<int> layers = prepareScores(model, options, target.value(), options.target, images.size(0), out);
        if (options.criterion == Criterion::Magnitude || options.criterion == Criterion::Random) {
            scoreFromWeights(model, options, layers, out);
            job.progress("score", 1.0);
            return out;
        }
        if (auto st = scoreFromGradients(model, images, options, {{options.target, layers, &out}}, masks, job); !st)
            return st.error();
        return out;
    });
}

Result<std::vector<UnitScores>> scorePopulation(const Model& model, const torch::Tensor& images, const ScoreOptions& options,
                                                const std::vector<int64_t>& units, JobContext& job) {
    initRuntime();
    if (units.empty()) return invalidInput("no units to score");
    if (options.criterion == Criterion::Force)
        return invalidInput("FORCE scores belong to one circuit size and run their own schedule: score a population with "
                            "ActGrad, SNIP, magnitude or random");
    std::vector<TargetSpec> targets;
    int layer = -1;
    for (int64_t unit : units) {
        TargetSpec t = options.target;
        t.unit = unit;
        t.direction.clear();
        auto resolved = resolveTarget(model.summary(), t);
        if (!resolved) return resolved.error();
        layer = resolved.value();
        targets.push_back(t);
    }
    if (images.size(0) == 0) return invalidInput("the image set is empty");
    if (options.batchSize < 1) return invalidInput("batch size must be at least 1");
    return guarded<std::vector<UnitScores>>("scoring a population", [&]() -> Result<std::vector<UnitScores>> {
        std::vector<UnitScores> out(targets.size());
        std::vector<ScoredTarget> scored;
        for (size_t t = 0; t < targets.size(); ++t)
            scored.push_back({targets[t], prepareScores(model, options, layer, targets[t], images.size(0), out[t]), &out[t]});
        if (options.criterion == Criterion::Magnitude || options.criterion == Criterion::Random) {
            for (auto& s : scored) scoreFromWeights(model, options, s.layers, *s.out);
            job.progress("score", 1.0);
            return out;
        }
        if (auto st = scoreFromGradients(model, images, options, scored, nullptr, job); !st) return st.error();
        return out;
    });
}

}  // namespace cx::engine
