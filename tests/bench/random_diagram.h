#pragma once
// A large synthetic circuit for the diagram benchmarks: 5 layers of 100 units and 3,000 random
// kernels between consecutive layers (a deterministic seed).
#include <cmath>
#include <random>
#include <set>
#include <string>

#include "engine/diagram/diagram.h"

inline cx::engine::CircuitDiagram randomDiagram(int ranks = 5, int perRank = 100, int edges = 3000) {
    using namespace cx::engine;
    CircuitDiagram d;
    for (int r = 0; r < ranks; ++r) {
        d.layers.push_back("layer" + std::to_string(r));
        for (int u = 0; u < perRank; ++u) {
            DiagramNode n;
            n.layer = r;
            n.unit = u;
            n.rank = d.layers.back();
            n.id = n.rank + ":" + std::to_string(u);
            d.nodes.push_back(n);
        }
    }
    std::mt19937 gen(1);
    std::uniform_int_distribution<int> rank(0, ranks - 2), unit(0, perRank - 1);
    std::uniform_real_distribution<double> value(-1.0, 1.0);
    std::set<std::pair<size_t, size_t>> seen;
    while (int(d.edges.size()) < edges) {
        const int r = rank(gen);
        const size_t from = size_t(r * perRank + unit(gen)), to = size_t((r + 1) * perRank + unit(gen));
        if (!seen.insert({from, to}).second) continue;
        d.edges.push_back(DiagramEdge{from, to, std::abs(value(gen)), value(gen), 1, 1.0, false, {}});
    }
    return d;
}
