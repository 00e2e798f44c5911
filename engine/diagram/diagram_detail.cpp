// Views of a whole circuit at a level of detail: vertices for blocks, layers or units, their
// edges joined from the kept kernels; and the focus view of one unit's cone.
#include "engine/diagram/diagram_detail.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

namespace cx::engine {
namespace {

constexpr const char* kLevelNames[] = {"block", "layer", "unit", "kernel"};

std::string layerNameOf(const CircuitDiagram& full, int layer) {
    if (layer < 0) return "input";
    return size_t(layer) < full.layerNames.size() ? full.layerNames[size_t(layer)] : std::to_string(layer);
}

std::string blockNameOf(const CircuitDiagram& full, int layer) {
    if (layer < 0) return "input";
    return size_t(layer) < full.layerBlocks.size() ? full.layerBlocks[size_t(layer)] : layerNameOf(full, layer);
}

bool showsUnits(DetailLevel level) { return level == DetailLevel::Unit || level == DetailLevel::Kernel; }

// A view with the full circuit's header and no vertices yet.
CircuitDiagram emptyViewOf(const CircuitDiagram& full) {
    CircuitDiagram view;
    view.model = full.model;
    view.mask = full.mask;
    view.notes = full.notes;
    view.layerNames = full.layerNames;
    view.layerBlocks = full.layerBlocks;
    view.whole = full.whole;
    return view;
}

// Edges joined per (vertex, vertex): sums, and the sign balance weighted by weight mass.
class EdgeJoiner {
public:
    EdgeJoiner(CircuitDiagram& view, size_t vertices) : m_view(view), m_vertices(vertices) {}

    void add(size_t from, size_t to, const DiagramEdge& e) {
        auto [it, fresh] = m_index.emplace(uint64_t(from) * m_vertices + to, m_view.edges.size());
        if (fresh) {
            m_view.edges.push_back(DiagramEdge{from, to, 0.0, 0.0, 0, 0.0, true, {}});
            m_balance.push_back({0.0, 0.0});
        }
        auto& joined = m_view.edges[it->second];
        joined.saliency += e.saliency;
        joined.kernels += e.kernels;
        joined.weightMass += e.weightMass;
        joined.dead = joined.dead && e.dead;
        m_balance[it->second].first += e.signBalance * e.weightMass;
        m_balance[it->second].second += e.signBalance;
        m_count.resize(m_view.edges.size());
        ++m_count[it->second];
    }

    void finish() {
        for (size_t i = 0; i < m_view.edges.size(); ++i) {
            auto& e = m_view.edges[i];
            e.signBalance = e.weightMass > 0 ? m_balance[i].first / e.weightMass : m_balance[i].second / double(m_count[i]);
        }
    }

private:
    CircuitDiagram& m_view;
    size_t m_vertices;
    std::unordered_map<uint64_t, size_t> m_index;
    std::vector<std::pair<double, double>> m_balance;  // sum of balance x mass, plain sum
    std::vector<int64_t> m_count;
};

// The edges (indices) of each vertex, in and out, as offsets into two flat lists (a circuit of
// millions of edges is scanned once, not grown vertex by vertex).
class Adjacency {
public:
    explicit Adjacency(const CircuitDiagram& d) {
        const size_t n = d.nodes.size();
        std::vector<size_t> inCount(n + 1, 0), outCount(n + 1, 0);
        for (const auto& e : d.edges) {
            ++inCount[e.to + 1];
            ++outCount[e.from + 1];
        }
        std::partial_sum(inCount.begin(), inCount.end(), inCount.begin());
        std::partial_sum(outCount.begin(), outCount.end(), outCount.begin());
        m_inStart = inCount;
        m_outStart = outCount;
        m_in.resize(d.edges.size());
        m_out.resize(d.edges.size());
        for (size_t e = 0; e < d.edges.size(); ++e) {
            m_in[inCount[d.edges[e].to]++] = e;
            m_out[outCount[d.edges[e].from]++] = e;
        }
    }
    std::vector<size_t> in(size_t v) const { return {m_in.begin() + long(m_inStart[v]), m_in.begin() + long(m_inStart[v + 1])}; }
    std::vector<size_t> out(size_t v) const {
        return {m_out.begin() + long(m_outStart[v]), m_out.begin() + long(m_outStart[v + 1])};
    }

private:
    std::vector<size_t> m_inStart, m_outStart, m_in, m_out;
};

// The `k` edges of a list with the highest saliency (all when k <= 0), ties by index.
std::vector<size_t> topEdgesOf(const CircuitDiagram& d, std::vector<size_t> edges, int64_t k) {
    if (k <= 0 || int64_t(edges.size()) <= k) return edges;
    std::partial_sort(edges.begin(), edges.begin() + k, edges.end(), [&](size_t a, size_t b) {
        return d.edges[a].saliency != d.edges[b].saliency ? d.edges[a].saliency > d.edges[b].saliency : a < b;
    });
    edges.resize(size_t(k));
    return edges;
}

// Vertices in model order (by first layer, then unit; a group before its layer's units), edges
// after them: the same parts come out in the same order whatever is expanded, which keeps
// Graphviz's layout of the unchanged parts close to what it was.
void sortAndRank(CircuitDiagram& view) {
    std::vector<size_t> order(view.nodes.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const auto& x = view.nodes[a];
        const auto& y = view.nodes[b];
        if (x.layer != y.layer) return x.layer < y.layer;
        if ((x.kind == NodeKind::Unit) != (y.kind == NodeKind::Unit)) return x.kind != NodeKind::Unit;
        return x.unit < y.unit;
    });
    std::vector<size_t> newIndex(order.size());
    std::vector<DiagramNode> nodes;
    nodes.reserve(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
        newIndex[order[i]] = i;
        nodes.push_back(std::move(view.nodes[order[i]]));
    }
    view.nodes = std::move(nodes);
    for (auto& e : view.edges) {
        e.from = newIndex[e.from];
        e.to = newIndex[e.to];
    }
    std::stable_sort(view.edges.begin(), view.edges.end(),
                     [](const DiagramEdge& a, const DiagramEdge& b) { return a.to != b.to ? a.to < b.to : a.from < b.from; });
    std::map<int, std::string> ranks;  // the input first
    for (const auto& n : view.nodes)
        if (n.kind == NodeKind::Unit) ranks[n.layer] = n.rank;
    view.layers.clear();
    for (const auto& [layer, name] : ranks) view.layers.push_back(name);
}

// The level of each full-circuit node under a spec: its unit id, then its layer, then its block.
std::vector<DetailLevel> levelsOf(const CircuitDiagram& full, const DetailSpec& spec) {
    std::map<int, DetailLevel> byLayer;
    std::vector<DetailLevel> levels(full.nodes.size(), spec.level);
    for (size_t i = 0; i < full.nodes.size(); ++i) {
        const auto& n = full.nodes[i];
        auto [it, fresh] = byLayer.emplace(n.layer, spec.level);
        if (fresh) {
            if (auto l = spec.expanded.find(layerNameOf(full, n.layer)); l != spec.expanded.end()) it->second = l->second;
            else if (auto b = spec.expanded.find(blockNameOf(full, n.layer)); b != spec.expanded.end()) it->second = b->second;
        }
        levels[i] = it->second;
        if (!spec.expanded.empty())
            if (auto u = spec.expanded.find(n.id); u != spec.expanded.end()) levels[i] = u->second;
    }
    return levels;
}

// A view at levels of detail, before the size check.
CircuitDiagram levelView(const CircuitDiagram& full, const DetailSpec& spec) {
    CircuitDiagram view = emptyViewOf(full);
    const auto levels = levelsOf(full, spec);
    std::vector<size_t> vertexOf(full.nodes.size());
    std::vector<DetailLevel> vertexLevel;
    std::map<std::string, size_t> groups;
    for (size_t i = 0; i < full.nodes.size(); ++i) {
        const auto& n = full.nodes[i];
        if (showsUnits(levels[i])) {
            vertexOf[i] = view.nodes.size();
            view.nodes.push_back(n);
            vertexLevel.push_back(levels[i]);
            continue;
        }
        const std::string layer = layerNameOf(full, n.layer);
        const std::string name = levels[i] == DetailLevel::Block ? blockNameOf(full, n.layer) : layer;
        auto [it, fresh] = groups.emplace(name, view.nodes.size());
        if (fresh) {
            DiagramNode g;
            g.kind = name == layer ? NodeKind::Layer : NodeKind::Block;
            g.layer = n.layer;
            g.unit = -1;
            g.id = g.group = name;
            g.members = 0;
            g.dead = true;
            view.nodes.push_back(g);
            vertexLevel.push_back(levels[i]);
        }
        auto& g = view.nodes[it->second];
        vertexOf[i] = it->second;
        g.layer = std::min(g.layer, n.layer);
        g.members += n.kind == NodeKind::Unit ? 1 : 0;  // an every-channel vertex is no kept unit
        g.score += n.score;
        g.dead = g.dead && n.dead;
        g.target = g.target || n.target;
    }
    EdgeJoiner joiner(view, view.nodes.size());
    for (const auto& e : full.edges) {
        const size_t from = vertexOf[e.from], to = vertexOf[e.to];
        if (from == to) view.nodes[from].innerKernels += e.kernels;
        else joiner.add(from, to, e);
    }
    joiner.finish();

    // Unit-level units keep their top edges in and out; kernel-level ones and groups keep all.
    if (spec.topEdges > 0 && std::count(vertexLevel.begin(), vertexLevel.end(), DetailLevel::Unit) > 0) {
        const Adjacency adjacency(view);
        std::vector<uint8_t> keep(view.edges.size(), 0);
        for (size_t v = 0; v < view.nodes.size(); ++v) {
            if (vertexLevel[v] != DetailLevel::Unit) continue;
            for (size_t e : topEdgesOf(view, adjacency.in(v), spec.topEdges)) keep[e] = 1;
            for (size_t e : topEdgesOf(view, adjacency.out(v), spec.topEdges)) keep[e] = 1;
        }
        std::vector<DiagramEdge> kept;
        for (size_t e = 0; e < view.edges.size(); ++e) {
            const auto& edge = view.edges[e];
            if (keep[e] || (vertexLevel[edge.from] != DetailLevel::Unit && vertexLevel[edge.to] != DetailLevel::Unit) ||
                vertexLevel[edge.from] == DetailLevel::Kernel || vertexLevel[edge.to] == DetailLevel::Kernel)
                kept.push_back(edge);
        }
        view.hiddenEdges = int64_t(view.edges.size() - kept.size());
        view.edges = std::move(kept);
    }
    sortAndRank(view);
    return view;
}

// The edges (of `full`) of a unit's cone: `depth` steps up and down, the top edges per unit.
Result<std::vector<size_t>> coneEdges(const CircuitDiagram& full, const DetailSpec& spec, bool allEdges, size_t& focus) {
    focus = full.nodes.size();
    for (size_t i = 0; i < full.nodes.size(); ++i)
        if (full.nodes[i].id == spec.focus) focus = i;
    if (focus == full.nodes.size())
        return invalidInput("the circuit has no unit " + spec.focus + " (give LAYER:UNIT of a unit that keeps a kernel)");
    if (spec.depth < 1) return invalidInput("the focus depth must be at least 1");
    const Adjacency adjacency(full);
    std::vector<uint8_t> chosen(full.edges.size(), 0);
    for (bool upstream : {true, false}) {
        std::vector<uint8_t> seen(full.nodes.size(), 0);
        std::vector<size_t> frontier{focus};
        seen[focus] = 1;
        for (int step = 0; step < spec.depth && !frontier.empty(); ++step) {
            std::vector<size_t> next;
            for (size_t v : frontier) {
                const auto edges = upstream ? adjacency.in(v) : adjacency.out(v);
                for (size_t e : topEdgesOf(full, edges, allEdges ? 0 : spec.topEdges)) {
                    chosen[e] = 1;
                    const size_t w = upstream ? full.edges[e].from : full.edges[e].to;
                    if (!seen[w]) {
                        seen[w] = 1;
                        next.push_back(w);
                    }
                }
            }
            frontier = std::move(next);
        }
    }
    std::vector<size_t> edges;
    for (size_t e = 0; e < chosen.size(); ++e)
        if (chosen[e]) edges.push_back(e);
    return edges;
}

Result<CircuitDiagram> focusView(const CircuitDiagram& full, const DetailSpec& spec) {
    size_t focus = 0;
    auto edges = coneEdges(full, spec, spec.allEdges, focus);
    if (!edges) return edges.error();
    CircuitDiagram view = emptyViewOf(full);
    std::unordered_map<size_t, size_t> vertexOf;
    const auto vertex = [&](size_t n) {
        auto [it, fresh] = vertexOf.emplace(n, view.nodes.size());
        if (fresh) view.nodes.push_back(full.nodes[n]);
        return it->second;
    };
    vertex(focus);
    for (size_t e : edges.value()) {
        DiagramEdge edge = full.edges[e];
        edge.from = vertex(edge.from);
        edge.to = vertex(edge.to);
        view.edges.push_back(std::move(edge));
    }
    if (!spec.allEdges) {
        auto all = coneEdges(full, spec, true, focus);
        if (!all) return all.error();
        view.hiddenEdges = int64_t(all.value().size() - edges.value().size());
    }
    view.notes.push_back("focus on " + spec.focus + ": " + std::to_string(spec.depth) + " edges up and down, " +
                         (spec.allEdges || spec.topEdges <= 0 ? std::string("every edge")
                                                              : "the top " + std::to_string(spec.topEdges) + " edges per unit by saliency"));
    sortAndRank(view);
    return view;
}

Status checkSize(const CircuitDiagram& view, const DiagramOptions& options) {
    if (int64_t(view.edges.size()) <= options.maxEdges) return Done{};
    return invalidInput("this view has " + std::to_string(view.edges.size()) + " edges, more than the " +
                        std::to_string(options.maxEdges) +
                        " a diagram lays out at once; collapse parts, draw fewer top edges per unit, or focus on a unit");
}

}  // namespace

const char* detailLevelName(DetailLevel level) { return kLevelNames[int(level)]; }

Result<DetailLevel> parseDetailLevel(const std::string& name) {
    for (int i = 0; i < 4; ++i)
        if (name == kLevelNames[i]) return DetailLevel(i);
    return invalidInput("unknown level of detail '" + name + "' (use block, layer, unit or kernel)");
}

std::string detailKey(const DetailSpec& spec) {
    std::string key = std::string(detailLevelName(spec.level)) + "|top=" + std::to_string(spec.topEdges);
    for (const auto& [name, level] : spec.expanded) key += "|" + name + "=" + detailLevelName(level);
    if (!spec.focus.empty())
        key += "|focus=" + spec.focus + "|depth=" + std::to_string(spec.depth) + (spec.allEdges ? "|all" : "");
    return key;
}

Result<CircuitDiagram> diagramAtDetail(const CircuitDiagram& full, const DetailSpec& spec, const DiagramOptions& options) {
    auto view = spec.focus.empty() ? Result<CircuitDiagram>(levelView(full, spec)) : focusView(full, spec);
    if (!view) return view;
    if (auto st = checkSize(view.value(), options); !st) return st.error();
    view.value().detail = spec;
    return view;
}

Result<CircuitDiagram> drawableDiagram(const CircuitDiagram& full, const DetailSpec& spec, const DiagramOptions& options) {
    if (!spec.focus.empty()) return diagramAtDetail(full, spec, options);
    CircuitDiagram view = levelView(full, spec);
    const size_t wanted = view.edges.size();
    view.detail = spec;
    if (int64_t(wanted) <= options.maxEdges) return view;
    DetailSpec overview;
    overview.level = DetailLevel::Block;
    overview.topEdges = spec.topEdges;
    view = levelView(full, overview);
    view.detail = overview;
    view.notes.push_back("the " + std::string(detailLevelName(spec.level)) + " level would draw " +
                         std::to_string(wanted) + " edges, more than the " + std::to_string(options.maxEdges) +
                         " a diagram lays out at once: drawn as the block overview; expand blocks or focus on a unit");
    if (auto st = checkSize(view, options); !st) return st.error();
    return view;
}

Result<int64_t> focusEdgeCount(const CircuitDiagram& full, const DetailSpec& spec) {
    size_t focus = 0;
    auto edges = coneEdges(full, spec, true, focus);
    if (!edges) return edges.error();
    return int64_t(edges.value().size());
}

DetailSpec withPartAt(const CircuitDiagram& view, const std::string& part, DetailLevel level) {
    DetailSpec spec = view.detail;
    spec.focus.clear();
    std::map<std::string, std::string> blockOfLayer;
    for (size_t l = 0; l < view.layerNames.size(); ++l)
        blockOfLayer[view.layerNames[l]] = l < view.layerBlocks.size() ? view.layerBlocks[l] : view.layerNames[l];
    const auto inside = [&](const std::string& key) {
        if (key == part) return true;
        const size_t colon = key.rfind(':');
        const std::string layer = colon == std::string::npos ? key : key.substr(0, colon);
        if (layer == part) return colon != std::string::npos;  // a unit of the layer
        auto it = blockOfLayer.find(layer);
        return it != blockOfLayer.end() && it->second == part;  // a layer or unit of the block
    };
    for (auto it = spec.expanded.begin(); it != spec.expanded.end();) it = inside(it->first) ? spec.expanded.erase(it) : std::next(it);
    spec.expanded[part] = level;
    return spec;
}

DetailSpec focusedOn(const CircuitDiagram& view, const std::string& unitId) {
    DetailSpec spec = view.detail;
    spec.focus = unitId;
    return spec;
}

}  // namespace cx::engine
