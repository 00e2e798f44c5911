#include "engine/diagram.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "engine/internal/circuit_files.h"
#include "engine/internal/guard.h"
#include "engine/internal/kernel_graph.h"
#include "engine/internal/model_impl.h"
#include "engine/internal/saliency.h"
#include "engine/model.h"
#include "engine/runtime.h"

namespace cx::engine {
namespace {

// Per-kernel saliency (O x Ipg) from scores at any granularity.
torch::Tensor kernelSaliency(const torch::Tensor& scores, int64_t inPerGroup, Granularity g) {
    if (g == Granularity::Filter) return scores.unsqueeze(1).expand({scores.size(0), inPerGroup}).contiguous();
    if (g == Granularity::Weight && scores.dim() > 2) return scores.flatten(2).sum(2);
    return scores;
}

struct Target {
    int layer = -1;
    std::vector<int64_t> rows;
};

Result<Target> targetOf(const ModelSummary& summary, const LoadedMasks& masks, const KernelGrid& kept, const KernelGraph& graph) {
    auto it = masks.metadata.find("target");
    if (it != masks.metadata.end() && !it->second.empty()) {
        auto spec = parseTarget(it->second);
        if (!spec) return spec.error();
        const int layer = summary.indexOf(spec.value().layer);
        if (layer < 0) return invalidInput("the mask's target layer " + spec.value().layer + " is not in the model");
        if (spec.value().unit >= 0) return Target{layer, {spec.value().unit}};
        // A direction: the channels with a non-zero coefficient (every channel if the file has none).
        Target t{layer, {}};
        const auto coefficients = masks.metadata.find("direction");
        const auto direction = coefficients == masks.metadata.end() ? std::vector<double>() : splitDirection(coefficients->second);
        for (int64_t o = 0; o < graph.outUnits(layer); ++o)
            if (direction.size() != size_t(graph.outUnits(layer)) || direction[size_t(o)] != 0.0) t.rows.push_back(o);
        return t;
    }
    // A learned mask has no target: the last masked layer's units that keep a kernel.
    Target t{masks.masks.rbegin()->first, {}};
    const auto& grid = kept[size_t(t.layer)];
    const int64_t ipg = graph.inPerGroup(t.layer);
    for (int64_t o = 0; o < graph.outUnits(t.layer); ++o)
        for (int64_t i = 0; i < ipg; ++i)
            if (grid[size_t(o * ipg + i)]) {
                t.rows.push_back(o);
                break;
            }
    return t;
}

}  // namespace

Result<CircuitDiagram> buildDiagram(const std::string& modelPath, const std::string& maskPath, const std::string& scoresPath,
                                    const DiagramOptions& options) {
    initRuntime();
    auto loaded = Model::load(modelPath);
    if (!loaded) return loaded.error();
    const auto model = loaded.take();
    auto masks = readUnitMasks(maskPath, *model);
    if (!masks) return masks.error();
    if (masks.value().granularity == Granularity::Head)
        return invalidInput(maskPath + ": a head mask has no kernels to draw; diagrams need kernel, filter or weight masks");
    std::map<int, torch::Tensor> scores = masks.value().scores;
    Granularity scoreGranularity = masks.value().granularity;
    if (!scoresPath.empty()) {
        auto loadedScores = readScoresFile(scoresPath, *model);
        if (!loadedScores) return loadedScores.error();
        scores = loadedScores.value().scores.scores;
        scoreGranularity = loadedScores.value().scores.granularity;
    }
    return guarded<CircuitDiagram>("circuit diagram", [&]() -> Result<CircuitDiagram> {
        const auto& summary = model->summary();
        const KernelGraph graph(summary);
        const auto g = masks.value().granularity;
        KernelGrid kept(summary.layers.size());
        std::map<int, torch::Tensor> keptKernels;
        for (const auto& [l, m] : masks.value().masks) {
            auto k = kernelsFromUnits(m, graph.inPerGroup(l), g).to(torch::kUInt8).contiguous();
            keptKernels[l] = k.to(torch::kBool);
            kept[size_t(l)].assign(k.data_ptr<uint8_t>(), k.data_ptr<uint8_t>() + k.numel());
        }
        auto target = targetOf(summary, masks.value(), kept, graph);
        if (!target) return target.error();
        // Layers the mask leaves out are whole (unmasked) when it comes to dead ends.
        KernelGrid whole = kept;
        for (size_t l = 0; l < whole.size(); ++l)
            if (!keptKernels.count(int(l)) && int(l) < target.value().layer) whole[l].assign(size_t(graph.gridSize(int(l))), 1);
        const auto effective = graph.effective(whole, target.value().layer, target.value().rows);

        CircuitDiagram d;
        d.model = modelPath;
        d.mask = maskPath;
        std::map<std::pair<int, int64_t>, size_t> nodeOf;
        auto node = [&](int layer, int64_t unit) -> size_t {
            auto [it, fresh] = nodeOf.emplace(std::make_pair(layer, unit), d.nodes.size());
            if (fresh) {
                DiagramNode n;
                n.layer = layer;
                n.unit = unit;
                n.rank = layer < 0 ? "input" : summary.layers[size_t(layer)].name;
                n.id = n.rank + ":" + std::to_string(unit);
                d.nodes.push_back(n);
            }
            return it->second;
        };
        std::map<std::pair<size_t, size_t>, size_t> edgeOf;
        std::map<size_t, std::pair<double, double>> signs;  // edge -> (sum of positive, sum of |negative|)
        bool dense = false;
        int64_t edgeCount = 0;
        for (const auto& [l, k] : keptKernels) {
            const auto& info = summary.layers[size_t(l)];
            auto weight = outputMajor(info, model->impl().param(info.param)).detach();
            auto sal = scores.count(l) ? kernelSaliency(scores.at(l), graph.inPerGroup(l), scoreGranularity) : torch::ones(k.sizes());
            auto pos = weight.clamp_min(0), neg = (-weight).clamp_min(0);
            if (weight.dim() > 2) {
                pos = pos.flatten(2).sum(2);
                neg = neg.flatten(2).sum(2);
            }
            const auto keptIdx = k.nonzero().contiguous();
            const auto idx = keptIdx.accessor<int64_t, 2>();
            const auto salD = sal.to(torch::kDouble).contiguous(), posD = pos.to(torch::kDouble).contiguous(),
                       negD = neg.to(torch::kDouble).contiguous();
            const auto salA = salD.accessor<double, 2>(), posA = posD.accessor<double, 2>(), negA = negD.accessor<double, 2>();
            const auto& live = effective.kernels[size_t(l)];
            for (int64_t r = 0; r < keptIdx.size(0); ++r) {
                const int64_t o = idx[r][0], i = idx[r][1];
                const bool dead = live.empty() || !live[size_t(o * graph.inPerGroup(l) + i)];
                if (dead && !options.showDeadEnds) continue;
                for (const auto& s : graph.sourcesOf(l, o, i)) {
                    if (s.channel < 0) {
                        dense = true;
                        continue;
                    }
                    if (++edgeCount > options.maxEdges)
                        return invalidInput("the circuit has more than " + std::to_string(options.maxEdges) +
                                            " kernels to draw; prune it further or draw fewer layers");
                    const size_t from = node(s.layer, s.channel), to = node(l, o);
                    auto [it, fresh] = edgeOf.emplace(std::make_pair(from, to), d.edges.size());
                    if (fresh) d.edges.push_back(DiagramEdge{from, to, 0.0, 0.0, 0, true, {}});
                    auto& e = d.edges[it->second];
                    e.saliency += salA[o][i];
                    e.kernels += 1;
                    e.dead = e.dead && dead;
                    signs[it->second].first += posA[o][i];
                    signs[it->second].second += negA[o][i];
                }
            }
        }
        for (int64_t row : target.value().rows) d.nodes[node(target.value().layer, row)].target = true;
        if (dense) d.notes.push_back("some kernels read channel-mixing inputs (no single source unit) and are not drawn");
        for (auto& [idx, pn] : signs) {
            const double total = pn.first + pn.second;
            d.edges[idx].signBalance = total > 0 ? (pn.first - pn.second) / total : 0.0;
        }
        // A node is dead when all its edges are; scores sum the live incoming saliency.
        std::vector<int> liveEdges(d.nodes.size(), 0);
        for (const auto& e : d.edges) {
            if (!e.dead) {
                d.nodes[e.to].score += e.saliency;
                ++liveEdges[e.to];
                ++liveEdges[e.from];
            }
        }
        for (size_t n = 0; n < d.nodes.size(); ++n) d.nodes[n].dead = liveEdges[n] == 0 && !d.nodes[n].target;
        // Ranks in model order, the input first.
        std::map<int, std::string> ranks;
        for (const auto& n : d.nodes) ranks[n.layer] = n.rank;
        for (const auto& [l, name] : ranks) d.layers.push_back(name);
        return d;
    });
}

}  // namespace cx::engine
