// Diagram layout benchmark: Graphviz `dot` on a 500-unit, 3,000-kernel circuit (5 layers of 100
// units, random kernels between consecutive layers), as the GUI lays out a large circuit.
//   cmake --build build --target cx_bench_diagram && build/tests/bench/cx_bench_diagram
#include <chrono>
#include <cstdio>
#include <random>
#include <set>

#include "engine/diagram.h"

using namespace cx::engine;

int main() {
    CircuitDiagram d;
    const int ranks = 5, perRank = 100, edges = 3000;
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
        d.edges.push_back(DiagramEdge{from, to, std::abs(value(gen)), value(gen), 1, false, {}});
    }
    double best = 1e30;
    for (int round = 0; round < 3; ++round) {
        auto copy = d;
        JobContext job;
        const auto t0 = std::chrono::steady_clock::now();
        if (auto st = layoutDiagram(copy, {}, job); !st) {
            std::fprintf(stderr, "layout failed: %s\n", st.error().message.c_str());
            return 1;
        }
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::printf("Graphviz dot layout, %zu units, %zu kernel edges: %.2f s (best of 3)\n", d.nodes.size(), d.edges.size(), best);
    return 0;
}
