#include "engine/pruning/internal/circuit.h"

#include <cmath>

#include "engine/core/internal/guard.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/pruning/internal/saliency.h"

namespace cx::engine {
namespace {

KernelGrid toGrid(const std::map<int, torch::Tensor>& masks, size_t layers) {
    KernelGrid grid(layers);
    for (const auto& [l, m] : masks) {
        auto u8 = m.to(torch::kUInt8).contiguous();
        grid[size_t(l)].assign(u8.data_ptr<uint8_t>(), u8.data_ptr<uint8_t>() + u8.numel());
    }
    return grid;
}

}  // namespace

std::map<int, torch::Tensor> minMaxNormalised(const UnitScores& scores) {
    std::map<int, torch::Tensor> out;
    for (const auto& [l, s] : scores.scores) {
        const auto& rel = scores.relevant.at(l);
        auto values = s.masked_select(rel);
        if (values.numel() == 0) {
            out[l] = s;
            continue;
        }
        const float lo = values.min().item<float>(), hi = values.max().item<float>();
        out[l] = hi > lo ? ((s - lo) / (hi - lo)) * rel : rel.to(torch::kFloat32);
    }
    return out;
}

namespace {

// Relevant units in (layer, flat index) order with the values they are ranked by; a stable
// descending sort breaks ties in that order.
struct RankedUnits {
    std::vector<torch::Tensor> values;                    // per layer
    std::vector<std::pair<int, torch::Tensor>> positions;  // layer, flat indices of its relevant units
};

RankedUnits rankRelevant(const UnitScores& scores, bool minmax) {
    const auto ranked = minmax ? minMaxNormalised(scores) : scores.scores;
    RankedUnits out;
    for (const auto& [l, rel] : scores.relevant) {
        auto flat = rel.flatten().nonzero().flatten();
        out.values.push_back(ranked.at(l).flatten().index_select(0, flat));
        out.positions.emplace_back(l, flat);
    }
    return out;
}

// Flags over the concatenated ranked units, back onto each layer's unit grid.
std::map<int, torch::Tensor> unitGrids(const UnitScores& scores, const RankedUnits& ranked, const torch::Tensor& flags) {
    std::map<int, torch::Tensor> out;
    int64_t offset = 0;
    for (const auto& [l, flat] : ranked.positions) {
        const auto& rel = scores.relevant.at(l);
        auto mask = torch::zeros({rel.numel()}, torch::kBool);
        mask.index_put_({flat}, flags.narrow(0, offset, flat.numel()));
        offset += flat.numel();
        out[l] = mask.view(rel.sizes());
    }
    return out;
}

}  // namespace

// Flags of the top `count` values (stable: ties keep their order).
torch::Tensor topFlags(const torch::Tensor& values, int64_t count) {
    auto order = std::get<1>(values.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
    return torch::zeros({values.numel()}, torch::kBool).index_fill_(0, order.narrow(0, 0, count), true);
}

// Smallest count whose top values hold `share` of the total.
int64_t cumulativeCount(const torch::Tensor& values, double share) {
    auto sorted = std::get<0>(values.to(torch::kFloat64).sort(true, 0, true));
    const double total = sorted.sum().item<double>();
    if (total <= 0.0) return values.numel();
    auto reached = (sorted.cumsum(0) >= share * total * (1 - 1e-12)).nonzero();
    return reached.numel() ? reached[0][0].item<int64_t>() + 1 : values.numel();
}

void findEffective(const Model& model, Circuit& c, Granularity granularity,
                   const std::map<int, torch::Tensor>& kernelRelevant) {
    // Dead ends are found on kernels: map kept units to kernels and the effective kernels back.
    const KernelGraph graph(model.summary());
    std::map<int, torch::Tensor> keptKernels;
    for (const auto& [l, k] : c.kept)
        keptKernels[l] = kernelsFromUnits(k, graph.inPerGroup(l), granularity) & kernelRelevant.at(l);
    auto eff = graph.effective(toGrid(keptKernels, model.summary().layers.size()), c.targetLayer, c.targetRows);
    c.disconnected = eff.disconnected;
    c.effectiveCount = 0;
    for (const auto& [l, k] : c.kept) {
        const auto& g = eff.kernels[size_t(l)];
        const auto& rel = kernelRelevant.at(l);
        auto kernels = g.empty() ? torch::zeros(rel.sizes(), torch::kBool)
                                 : torch::from_blob(const_cast<uint8_t*>(g.data()), rel.sizes(), torch::kUInt8).to(torch::kBool).clone();
        auto t = k & unitsFromKernels(kernels, k.sizes().vec(), granularity);
        c.effective[l] = t;
        c.effectiveCount += t.sum().item<int64_t>();
    }
}

std::map<int, torch::Tensor> topUnits(const UnitScores& scores, int64_t count, bool minmax) {
    const RankedUnits ranked = rankRelevant(scores, minmax);
    auto all = torch::cat(ranked.values);
    return unitGrids(scores, ranked, topFlags(all, std::min<int64_t>(count, all.numel())));
}

Result<Circuit> selectCircuit(const Model& model, const UnitScores& scores, const CircuitOptions& options) {
    const bool byShare = options.cumulative != 0.0;
    if (byShare && !(options.cumulative > 0.0 && options.cumulative <= 1.0))
        return invalidInput("cumulative saliency share must be in (0, 1], got " + std::to_string(options.cumulative));
    if (!byShare && !(options.sparsity > 0.0 && options.sparsity <= 1.0))
        return invalidInput("sparsity must be in (0, 1], got " + std::to_string(options.sparsity));
    if (byShare && options.perLayerQuota) return invalidInput("choose a per-layer quota or a cumulative threshold, not both");
    if (scores.relevantCount == 0) return invalidInput("the target has no relevant kernels: nothing to prune");
    return guarded<Circuit>("selecting the circuit", [&]() -> Result<Circuit> {
        Circuit c;
        c.targetLayer = scores.targetLayer;
        c.targetRows = scores.targetRows;
        c.sparsity = options.sparsity;
        c.bias = options.bias;
        c.relevant = scores.relevantCount;
        c.requested = std::max<int64_t>(1, std::llround(options.sparsity * double(scores.relevantCount)));
        const RankedUnits ranked = rankRelevant(scores, options.minmax);
        const auto& values = ranked.values;
        auto all = torch::cat(values);
        if (byShare) {
            c.requested = std::max<int64_t>(1, cumulativeCount(all, options.cumulative));
            c.sparsity = double(c.requested) / double(scores.relevantCount);
        }
        torch::Tensor keepFlags;
        if (options.perLayerQuota) {
            std::vector<torch::Tensor> flags;
            c.requested = 0;
            for (const auto& v : values) {
                const int64_t k = std::min<int64_t>(v.numel(), std::max<int64_t>(1, std::llround(options.sparsity * double(v.numel()))));
                flags.push_back(topFlags(v, k));
                c.requested += k;
            }
            keepFlags = torch::cat(flags);
        } else {
            keepFlags = topFlags(all, c.requested);
        }
        c.kept = unitGrids(scores, ranked, keepFlags);
        c.keptCount = c.requested;
        findEffective(model, c, scores.granularity, scores.kernelRelevant);
        return c;
    });
}

Overrides circuitOverrides(const Model& model, const Circuit& circuit, const std::string& device) {
    Overrides out;
    const auto& summary = model.summary();
    const bool pruned = circuit.bias == BiasMode::Pruned;
    auto add = [&](const std::string& param, const torch::Tensor& t) {
        // A weight used by two ops is one tensor: the circuit can mask it only one way.
        for (size_t i = 0; i < out.params.size(); ++i)
            if (out.params[i] == param) {
                TORCH_CHECK(torch::equal(out.tensors[i].cpu(), t.cpu()), "parameter ", param,
                            " is used by more than one layer and the circuit keeps different kernels of it in each; "
                            "a weight used twice cannot be pruned per use");
                return;
            }
        out.params.push_back(param);
        out.tensors.push_back(t.to(device));
    };
    // The weights stay on the device (the model's copy there): only the unit grids travel, and
    // each masked weight is made where it is used.
    const torch::Device dev(device);
    const auto param = [&](const std::string& path) { return paramOn(model, path, dev); };
    for (const auto& [l, kept] : circuit.kept) {
        const auto& info = summary.layers[size_t(l)];
        const torch::Tensor w = param(info.param);
        // Pruned: the effective circuit is the function (dead ends go, with their filters' bias);
        // masked: every kept kernel, and every bias stays.
        const auto units = (pruned && circuit.effective.count(l) ? circuit.effective.at(l) : kept).to(dev);
        add(info.param, w * unitMaskForWeight(info, w, units));
        if (!pruned) continue;
        // A filter with no effective kernel is removed whole: its bias, and what the batch-norm
        // after it adds (beta - gamma mu / sigma, zero once gamma and beta are).
        auto rowAlive = (units.dim() > 1 ? units.flatten(1).any(1) : units).to(w.dtype());
        if (info.hasBias()) add(info.biasParam, param(info.biasParam) * rowAlive);
        if (!info.normWeightParam.empty()) {
            add(info.normWeightParam, param(info.normWeightParam) * rowAlive);
            add(info.normBiasParam, param(info.normBiasParam) * rowAlive);
        }
    }
    return out;
}

Result<Circuit> circuitFromMasks(const Model& model, const std::map<int, torch::Tensor>& kept, Granularity granularity,
                                 const TargetSpec& target, BiasMode bias) {
    auto layer = resolveTarget(model.summary(), target);
    if (!layer) return layer.error();
    Circuit c;
    c.targetLayer = layer.value();
    c.targetRows = targetRows(target);
    c.bias = bias;
    c.kept = kept;
    const KernelGraph graph(model.summary());
    const KernelGrid relevant = graph.relevant(c.targetLayer, c.targetRows);
    std::map<int, torch::Tensor> kernelRelevant;
    for (const auto& [l, k] : kept) {
        const auto& grid = relevant[size_t(l)];
        const int64_t rows = graph.outUnits(l), ipg = graph.inPerGroup(l);
        kernelRelevant[l] = grid.empty() ? torch::zeros({rows, ipg}, torch::kBool)
                                         : torch::from_blob(const_cast<uint8_t*>(grid.data()), {rows, ipg}, torch::kUInt8)
                                               .to(torch::kBool)
                                               .clone();
        c.keptCount += k.to(torch::kBool).sum().item<int64_t>();
    }
    findEffective(model, c, granularity, kernelRelevant);
    return c;
}

}  // namespace cx::engine
