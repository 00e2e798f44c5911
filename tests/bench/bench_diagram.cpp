// Diagram benchmarks: Graphviz `dot` on a 500-unit, 3,000-kernel circuit (5 layers of 100
// units, random kernels between consecutive layers), as the GUI lays out a large circuit; and
// what node images (kernels, top-activating crops) add to re-pruning the demo CNN's circuit.
//   cmake --build build --target cx_bench_diagram && build/tests/bench/cx_bench_diagram
#include <algorithm>
#include <chrono>
#include <cstdio>

#include <filesystem>

#include "engine/demo/demo_run.h"
#include "engine/diagram/diagram.h"
#include "engine/diagram/diagram_layout.h"
#include "engine/model/workspace.h"
#include "engine/pruning/circuit_job.h"
#include "random_diagram.h"

using namespace cx::engine;

namespace {

double seconds(const std::chrono::steady_clock::time_point& t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Re-pruning the demo's circuit on one workspace (scores in memory, as the sparsity slider
// does) with and without node images; the first call with images runs the images once, later
// calls find the top activations and pictures in the workspace.
int nodeImageCost() {
    const auto dir = std::filesystem::temp_directory_path() / "cx_bench_node_images";
    std::filesystem::create_directories(dir);
    auto opened = Workspace::open(CX_DEMO_MODEL);
    if (!opened) return 1;
    auto& ws = *opened.value();
    CircuitSpec spec;
    spec.images = (dir / "images.safetensors").string();
    if (auto st = writeShapesImages(spec.images, 256, 5); !st) return 1;
    spec.target = "features.conv4:27";
    spec.nodeImages = false;
    JobContext job;
    auto first = findCircuit(ws, spec, job);
    if (!first) {
        std::fprintf(stderr, "findCircuit failed: %s\n", first.error().message.c_str());
        return 1;
    }
    spec.nodeImages = true;
    const auto t0 = std::chrono::steady_clock::now();
    if (!findCircuit(ws, spec, job)) return 1;
    const double uncached = seconds(t0);
    double plain = 1e30, cached = 1e30;
    for (int round = 0; round < 3; ++round) {
        spec.nodeImages = false;
        auto t0 = std::chrono::steady_clock::now();
        if (!findCircuit(ws, spec, job)) return 1;
        plain = std::min(plain, seconds(t0));
        spec.nodeImages = true;
        t0 = std::chrono::steady_clock::now();
        if (!findCircuit(ws, spec, job)) return 1;
        cached = std::min(cached, seconds(t0));
    }
    std::printf("demo circuit re-pruned (256 images, %zu units): %.3f s without node images, %.3f s with them "
                "(pictures kept in the workspace): ratio %.2f; the first call with images (searching the images): %.3f s, ratio %.2f\n",
                first.value().diagram.nodes.size(), plain, cached, cached / plain, uncached, uncached / plain);
    std::filesystem::remove_all(dir);
    return 0;
}

}  // namespace

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
    return nodeImageCost();
}
