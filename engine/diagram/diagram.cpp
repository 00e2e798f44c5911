#include "engine/diagram/diagram.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/diagram/layer_blocks.h"
#include "engine/model/internal/kernel_graph.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/circuit_files.h"
#include "engine/pruning/internal/saliency.h"
#include "engine/pruning/pruning.h"

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

// The kept kernels of each masked layer (O x Ipg bool), and as flat grids for the kernel graph.
struct KeptKernels {
    KernelGrid grid;
    std::map<int, torch::Tensor> tensors;
};
KeptKernels keptKernels(const ModelSummary& summary, const KernelGraph& graph, const LoadedMasks& masks) {
    KeptKernels out;
    out.grid.resize(summary.layers.size());
    for (const auto& [l, m] : masks.masks) {
        auto k = kernelsFromUnits(m, graph.inPerGroup(l), masks.granularity).to(torch::kUInt8).contiguous();
        out.tensors[l] = k.to(torch::kBool);
        out.grid[size_t(l)].assign(k.data_ptr<uint8_t>(), k.data_ptr<uint8_t>() + k.numel());
    }
    return out;
}

// Builds the diagram's nodes and edges, one kept kernel at a time.
class DiagramBuilder {
public:
    DiagramBuilder(const Model& model, const KernelGraph& graph, const DiagramOptions& options, CircuitDiagram& d)
        : m_model(model), m_graph(graph), m_options(options), m_d(d) {}

    size_t node(int layer, int64_t unit) {
        auto& index = m_nodeIndex[layer + 1];  // the input's channels at 0, layer l at l + 1
        if (index.size() <= size_t(unit)) index.resize(size_t(unit) + 1, kNone);
        if (index[size_t(unit)] == kNone) {
            index[size_t(unit)] = m_d.nodes.size();
            DiagramNode n;
            n.layer = layer;
            n.unit = unit;
            n.rank = layer < 0 ? "input" : m_model.summary().layers[size_t(layer)].name;
            n.id = n.rank + ":" + std::to_string(unit);
            m_d.nodes.push_back(n);
            m_edgeFromSource.push_back(kNone);
        }
        return index[size_t(unit)];
    }

    /// The source of kernels that read a mix of every channel of a layer (through a LayerNorm,
    /// a softmax over channels, ...): that layer as one vertex.
    size_t mixedNode(int layer) {
        auto [it, fresh] = m_mixedIndex.emplace(layer, m_d.nodes.size());
        if (fresh) {
            DiagramNode n;
            n.kind = NodeKind::Layer;
            n.layer = layer;
            n.unit = -1;
            const std::string name = layer < 0 ? "input" : m_model.summary().layers[size_t(layer)].name;
            n.id = name + ":*";
            n.group = name + ", every channel";
            n.members = layer < 0 ? 0 : m_graph.outUnits(layer);
            m_d.nodes.push_back(n);
            m_edgeFromSource.push_back(kNone);
        }
        return it->second;
    }

    /// Edges of one layer's kept kernels: saliency summed per (source unit, unit), sign balance
    /// from the weights, dead when every kernel of the edge is a dead end.
    Status addLayer(int l, const torch::Tensor& kept, const torch::Tensor& saliency, const std::vector<uint8_t>& live) {
        const auto& info = m_model.summary().layers[size_t(l)];
        auto weight = outputMajor(info, m_model.impl().param(info.param)).detach();
        auto pos = weight.clamp_min(0), neg = (-weight).clamp_min(0);
        if (weight.dim() > 2) {
            pos = pos.flatten(2).sum(2);
            neg = neg.flatten(2).sum(2);
        }
        const auto keptIdx = kept.nonzero().contiguous();
        const auto idx = keptIdx.accessor<int64_t, 2>();
        const auto salD = saliency.to(torch::kDouble).contiguous(), posD = pos.to(torch::kDouble).contiguous(),
                   negD = neg.to(torch::kDouble).contiguous();
        const auto salA = salD.accessor<double, 2>(), posA = posD.accessor<double, 2>(), negA = negD.accessor<double, 2>();
        const int64_t ipg = m_graph.inPerGroup(l);
        for (int64_t r = 0; r < keptIdx.size(0); ++r) {
            const int64_t o = idx[r][0], i = idx[r][1];
            const bool dead = live.empty() || !live[size_t(o * ipg + i)];
            if (dead && !m_options.showDeadEnds) continue;
            for (const auto& s : m_graph.sourcesOf(l, o, i)) {
                m_dense = m_dense || s.channel < 0;
                const size_t from = s.channel < 0 ? mixedNode(s.layer) : node(s.layer, s.channel), to = node(l, o);
                // Kernels come in row order, so all edges into `to` are made in one run: the
                // source's last edge is this pair's when it ends at `to`.
                size_t& slot = m_edgeFromSource[from];
                if (slot == kNone || m_d.edges[slot].to != to) {
                    slot = m_d.edges.size();
                    m_d.edges.push_back(DiagramEdge{from, to, 0.0, 0.0, 0, 0.0, true, {}});
                }
                auto& e = m_d.edges[slot];
                e.saliency += salA[o][i];
                e.kernels += 1;
                e.dead = e.dead && dead;
                e.signBalance += posA[o][i] - negA[o][i];  // made a balance in finish()
                e.weightMass += posA[o][i] + negA[o][i];
            }
        }
        return Done{};
    }

    /// Marks the target, sign balances, node scores and dead nodes, and the ranks in model order.
    void finish(const Target& target) {
        for (int64_t row : target.rows) m_d.nodes[node(target.layer, row)].target = true;
        if (m_dense)
            m_d.notes.push_back("some kernels read a mix of every channel of a layer (through a normalisation or attention): "
                                "that layer is drawn as one vertex feeding them");
        for (auto& e : m_d.edges) e.signBalance = e.weightMass > 0 ? e.signBalance / e.weightMass : 0.0;
        // A node is dead when all its edges are; scores sum the live incoming saliency.
        std::vector<int> liveEdges(m_d.nodes.size(), 0);
        for (const auto& e : m_d.edges) {
            if (!e.dead) {
                m_d.nodes[e.to].score += e.saliency;
                ++liveEdges[e.to];
                ++liveEdges[e.from];
            }
        }
        for (size_t n = 0; n < m_d.nodes.size(); ++n) m_d.nodes[n].dead = liveEdges[n] == 0 && !m_d.nodes[n].target;
        std::map<int, std::string> ranks;  // the input first
        for (const auto& n : m_d.nodes)
            if (n.kind == NodeKind::Unit) ranks[n.layer] = n.rank;
        for (const auto& [l, name] : ranks) m_d.layers.push_back(name);
    }

private:
    const Model& m_model;
    const KernelGraph& m_graph;
    const DiagramOptions& m_options;
    CircuitDiagram& m_d;
    static constexpr size_t kNone = size_t(-1);
    std::map<int, std::vector<size_t>> m_nodeIndex;  // layer + 1 -> unit -> node (kNone: not yet)
    std::vector<size_t> m_edgeFromSource;            // node -> its latest outgoing edge
    std::map<int, size_t> m_mixedIndex;  // layer -> its every-channel vertex
    bool m_dense = false;
};

}  // namespace

Result<CircuitDiagram> buildDiagram(Workspace& workspace, const Mask& mask, const Scores* scoresFile,
                                    const DiagramOptions& options) {
    initRuntime();
    const Model& model = *workspace.model();
    const LoadedMasks& masks = mask.data;
    const std::string name = mask.source.empty() ? std::string("the mask") : mask.source;
    if (masks.granularity == Granularity::Head)
        return invalidInput(name + ": a head mask has no kernels to draw; diagrams need kernel, filter or weight masks");
    const std::map<int, torch::Tensor>& scores = scoresFile ? scoresFile->data.scores.scores : masks.scores;
    const Granularity scoreGranularity = scoresFile ? scoresFile->data.scores.granularity : masks.granularity;
    return guarded<CircuitDiagram>("circuit diagram", [&]() -> Result<CircuitDiagram> {
        const auto& summary = model.summary();
        const KernelGraph graph(summary);
        const KeptKernels kept = keptKernels(summary, graph, masks);
        auto target = targetOf(summary, masks, kept.grid, graph);
        if (!target) return target.error();
        // Layers the mask leaves out are whole (unmasked) when it comes to dead ends.
        KernelGrid whole = kept.grid;
        for (size_t l = 0; l < whole.size(); ++l)
            if (!kept.tensors.count(int(l)) && int(l) < target.value().layer) whole[l].assign(size_t(graph.gridSize(int(l))), 1);
        const auto effective = graph.effective(whole, target.value().layer, target.value().rows);

        CircuitDiagram d;
        d.model = summary.path;
        d.mask = mask.source;
        for (const auto& layer : summary.layers) d.layerNames.push_back(layer.name);
        d.layerBlocks = layerBlocks(d.layerNames);
        DiagramBuilder builder(model, graph, options, d);
        for (const auto& [l, k] : kept.tensors) {
            auto saliency = scores.count(l) ? kernelSaliency(scores.at(l), graph.inPerGroup(l), scoreGranularity) : torch::ones(k.sizes());
            if (auto st = builder.addLayer(l, k, saliency, effective.kernels[size_t(l)]); !st) return st.error();
        }
        builder.finish(target.value());
        return d;
    });
}

Result<CircuitDiagram> buildDiagram(const std::string& modelPath, const std::string& maskPath, const std::string& scoresPath,
                                    const DiagramOptions& options) {
    auto workspace = Workspace::open(modelPath);
    if (!workspace) return workspace.error();
    auto& ws = *workspace.value();
    auto mask = readMask(ws, maskPath);
    if (!mask) return mask.error();
    if (mask.value()->data.granularity == Granularity::Head)  // refused before a scores file is read
        return buildDiagram(ws, *mask.value(), nullptr, options);
    ScoresHandle scores;
    if (!scoresPath.empty()) {
        auto read = readScores(ws, scoresPath);
        if (!read) return read.error();
        scores = read.take();
    }
    return buildDiagram(ws, *mask.value(), scores.get(), options);
}

}  // namespace cx::engine
