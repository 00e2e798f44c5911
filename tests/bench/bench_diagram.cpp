// Diagram layout benchmark: Graphviz `dot` on a 500-unit, 3,000-kernel circuit (5 layers of 100
// units, random kernels between consecutive layers), as the GUI lays out a large circuit.
//   cmake --build build --target cx_bench_diagram && build/tests/bench/cx_bench_diagram
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "engine/diagram.h"
#include "random_diagram.h"

using namespace cx::engine;

int main() {
    const CircuitDiagram d = randomDiagram();
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
