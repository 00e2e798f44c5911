#include "engine/diagram/layered_layout.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <queue>
#include <string>
#include <unordered_set>

namespace cx::engine {
namespace {

// Sizes as the DOT text asks dot for them (inches x 72).
constexpr double kUnitSize = 0.32 * 72, kPictureSize = 0.5 * 72, kGroupHeight = 0.4 * 72;
constexpr double kRankSep = 1.4 * 72, kNodeSep = 0.06 * 72 + 2;

// One rank key per layer of units, one per group vertex.
struct RankKeys {
    std::vector<size_t> keyOf;          // node -> key
    std::vector<int> firstLayer;        // key -> the model order it starts at
    size_t count = 0;
};

RankKeys rankKeys(const CircuitDiagram& d) {
    RankKeys keys;
    std::map<std::string, size_t> byName;
    keys.keyOf.resize(d.nodes.size());
    for (size_t i = 0; i < d.nodes.size(); ++i) {
        const auto& n = d.nodes[i];
        const std::string name = n.kind == NodeKind::Unit ? "u:" + n.rank : "g:" + n.id;
        auto [it, fresh] = byName.emplace(name, keys.count);
        if (fresh) {
            keys.firstLayer.push_back(n.layer);
            ++keys.count;
        }
        keys.keyOf[i] = it->second;
    }
    return keys;
}

// Longest-path ranks of the keys over the edges and the chain of unit layers in model order
// (dot's caption chain). Keys in a cycle (none in a circuit) fall back to their model order.
std::vector<int> rankOfKeys(const CircuitDiagram& d, const RankKeys& keys) {
    std::vector<std::vector<size_t>> next(keys.count);
    std::vector<int> indegree(keys.count, 0);
    std::unordered_set<uint64_t> seen;
    const auto link = [&](size_t a, size_t b) {
        if (a == b || !seen.insert(uint64_t(a) * keys.count + b).second) return;
        next[a].push_back(b);
        ++indegree[b];
    };
    for (const auto& e : d.edges) link(keys.keyOf[e.from], keys.keyOf[e.to]);
    std::vector<size_t> unitKeys;  // in model order
    for (size_t i = 0; i < d.nodes.size(); ++i)
        if (d.nodes[i].kind == NodeKind::Unit) unitKeys.push_back(keys.keyOf[i]);
    std::stable_sort(unitKeys.begin(), unitKeys.end(), [&](size_t a, size_t b) { return keys.firstLayer[a] < keys.firstLayer[b]; });
    unitKeys.erase(std::unique(unitKeys.begin(), unitKeys.end()), unitKeys.end());
    for (size_t k = 1; k < unitKeys.size(); ++k) link(unitKeys[k - 1], unitKeys[k]);

    std::vector<int> rank(keys.count, 0);
    std::vector<uint8_t> done(keys.count, 0);
    std::queue<size_t> ready;
    for (size_t k = 0; k < keys.count; ++k)
        if (indegree[k] == 0) ready.push(k);
    while (!ready.empty()) {
        const size_t k = ready.front();
        ready.pop();
        done[k] = 1;
        for (size_t n : next[k]) {
            rank[n] = std::max(rank[n], rank[k] + 1);
            if (--indegree[n] == 0) ready.push(n);
        }
    }
    for (size_t k = 0; k < keys.count; ++k)
        if (!done[k]) rank[k] = std::max(rank[k], keys.firstLayer[k] + 1);
    return rank;
}

// Orders each rank: two barycentre sweeps (down over predecessors, up over successors).
std::vector<std::vector<size_t>> orderRanks(const CircuitDiagram& d, const std::vector<int>& rankOfNode, int ranks) {
    std::vector<std::vector<size_t>> order(size_t(ranks) + 1);
    for (size_t i = 0; i < d.nodes.size(); ++i) order[size_t(rankOfNode[i])].push_back(i);  // model order first
    std::vector<double> position(d.nodes.size());
    const auto place = [&](const std::vector<size_t>& rank) {
        for (size_t k = 0; k < rank.size(); ++k) position[rank[k]] = double(k) - double(rank.size()) / 2.0;
    };
    for (const auto& rank : order) place(rank);
    std::vector<std::vector<size_t>> pred(d.nodes.size()), succ(d.nodes.size());
    for (const auto& e : d.edges) {
        succ[e.from].push_back(e.to);
        pred[e.to].push_back(e.from);
    }
    std::vector<double> weight(d.nodes.size());
    const auto sweep = [&](int first, int last, int step, const std::vector<std::vector<size_t>>& neighbours) {
        for (int r = first; r != last; r += step) {
            auto& rank = order[size_t(r)];
            for (size_t v : rank) {
                if (neighbours[v].empty()) {
                    weight[v] = position[v];
                    continue;
                }
                double sum = 0;
                for (size_t u : neighbours[v]) sum += position[u];
                weight[v] = sum / double(neighbours[v].size());
            }
            std::stable_sort(rank.begin(), rank.end(), [&](size_t a, size_t b) { return weight[a] < weight[b]; });
            place(rank);
        }
    };
    sweep(1, ranks + 1, 1, pred);
    sweep(ranks - 1, -1, -1, succ);
    return order;
}

void sizeNode(DiagramNode& n) {
    if (n.kind != NodeKind::Unit) {
        n.width = groupVertexWidth(n);
        n.height = kGroupHeight;
    } else {
        n.width = n.height = n.image.empty() ? kUnitSize : kPictureSize;
    }
}

}  // namespace

bool needsLayeredLayout(const CircuitDiagram& d) { return d.edges.size() > kDotMaxEdges || d.nodes.size() > kDotMaxNodes; }

double groupVertexWidth(const DiagramNode& n) {
    const size_t chars = std::max(n.group.size(), size_t(22));  // the second line: "412 units, 3021 kernels inside"
    return std::max(0.9 * 72, double(chars) * 5.4 + 14);
}

void layeredLayout(CircuitDiagram& d, bool leftToRight) {
    const RankKeys keys = rankKeys(d);
    const auto keyRank = rankOfKeys(d, keys);
    std::vector<int> rankOfNode(d.nodes.size());
    int ranks = 0;
    for (size_t i = 0; i < d.nodes.size(); ++i) ranks = std::max(ranks, rankOfNode[i] = keyRank[keys.keyOf[i]]);
    for (auto& n : d.nodes) sizeNode(n);
    const auto order = orderRanks(d, rankOfNode, ranks);

    // Along the flow: each rank as deep as its widest vertex; across: vertices stacked, centred.
    double along = 0, across = 0;
    for (const auto& rank : order) {
        double depth = 0, span = 0;
        for (size_t v : rank) {
            const auto& n = d.nodes[v];
            depth = std::max(depth, leftToRight ? n.width : n.height);
            span += (leftToRight ? n.height : n.width) + kNodeSep;
        }
        double at = -span / 2;
        for (size_t v : rank) {
            auto& n = d.nodes[v];
            const double extent = leftToRight ? n.height : n.width;
            const double centreAcross = at + extent / 2, centreAlong = along + depth / 2;
            n.x = leftToRight ? centreAlong : centreAcross;
            n.y = leftToRight ? -centreAcross : centreAlong;  // y up: the first of a rank on top
            at += extent + kNodeSep;
        }
        if (!rank.empty()) along += depth + kRankSep;
        across = std::max(across, span);
    }
    // Shift to a box from the origin, as dot's coordinates are.
    double minX = 0, minY = 0, maxX = 0, maxY = 0;
    bool first = true;
    for (const auto& n : d.nodes) {
        const double x0 = n.x - n.width / 2, x1 = n.x + n.width / 2, y0 = n.y - n.height / 2, y1 = n.y + n.height / 2;
        minX = first ? x0 : std::min(minX, x0);
        minY = first ? y0 : std::min(minY, y0);
        maxX = first ? x1 : std::max(maxX, x1);
        maxY = first ? y1 : std::max(maxY, y1);
        first = false;
    }
    constexpr double kMargin = 4;
    for (auto& n : d.nodes) {
        n.x += kMargin - minX;
        n.y += kMargin - minY;
    }
    d.width = maxX - minX + 2 * kMargin;
    d.height = maxY - minY + 2 * kMargin;

    // One cubic Bezier per edge, leaving and entering along the flow.
    for (auto& e : d.edges) {
        const auto& a = d.nodes[e.from];
        const auto& b = d.nodes[e.to];
        double x0 = a.x, y0 = a.y, x3 = b.x, y3 = b.y;
        if (leftToRight) {
            x0 += a.width / 2;
            x3 -= b.width / 2;
            const double bend = (x3 - x0) / 3;
            e.points = {x0, y0, x0 + bend, y0, x3 - bend, y3, x3, y3};
        } else {
            y0 += a.height / 2;
            y3 -= b.height / 2;
            const double bend = (y3 - y0) / 3;
            e.points = {x0, y0, x0, y0 + bend, x3, y3 - bend, x3, y3};
        }
    }
    d.laidOut = true;
}

}  // namespace cx::engine
