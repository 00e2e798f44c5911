// Feature visualisation on the demo CNN: 16 units of features.conv4 optimised as one batch
// against the same 16 one at a time (issue 15's aim: >= 5x the unit-steps per second), rounds
// interleaved so that the shared machine's drift hits both; then a circuit's every unit pictured
// w.r.t. that circuit (aim < 30 s for a 34-unit diagram on 2 cores) and again from the cache
// (aim < 1 s).
//   cmake --build build --target cx_bench_vis && build/tests/bench/cx_bench_vis [STEPS] [SPARSITY]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <torch/torch.h>

#include "engine/demo/demo_run.h"
#include "engine/diagram/diagram.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/pruning/pruning.h"
#include "engine/vis/feature_vis.h"

using namespace cx::engine;

namespace {

double seconds(const std::chrono::steady_clock::time_point& t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

VisSettings settings(int steps, int64_t batch) {
    VisSettings s;
    s.steps = steps;
    s.height = s.width = 64;
    s.normalize = false;
    s.batch = batch;
    return s;
}

// Every unit its diagram draws (dead ends left out, as the diagram leaves them), input
// channels aside.
std::vector<VisObjective> circuitUnits(Workspace& w, const Mask& mask) {
    std::vector<VisObjective> out;
    auto diagram = buildDiagram(w, mask, nullptr, DiagramOptions{});
    if (!diagram) return out;
    for (const auto& n : diagram.value().nodes)
        if (n.kind == NodeKind::Unit && n.layer >= 0 && !n.dead) out.push_back({w.summary().layers[size_t(n.layer)].name, n.unit});
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const int steps = argc > 1 ? std::atoi(argv[1]) : 64;
    const double sparsity = argc > 2 ? std::atof(argv[2]) : 0.1;  // the demo's 10% circuit: a 34-vertex diagram
    auto workspace = Workspace::open(CX_DEMO_MODEL).take();
    std::vector<VisObjective> units;
    for (int64_t u = 0; u < 16; ++u) units.push_back({"features.conv4", u});
    JobContext job;
    double batched = 1e30, single = 1e30;
    for (int round = 0; round < 3; ++round) {
        auto t0 = std::chrono::steady_clock::now();
        if (!visualizeUnits(*workspace, nullptr, units, settings(steps, 16), job)) return 1;
        batched = std::min(batched, seconds(t0));
        t0 = std::chrono::steady_clock::now();
        if (!visualizeUnits(*workspace, nullptr, units, settings(steps, 1), job)) return 1;
        single = std::min(single, seconds(t0));
    }
    const double unitSteps = 16.0 * steps;
    std::printf("16 units of features.conv4, %d steps, 64 x 64 (best of 3 interleaved rounds)\n", steps);
    std::printf("  batched: %.2f s, %.0f unit-steps/s\n", batched, unitSteps / batched);
    std::printf("  one at a time: %.2f s, %.0f unit-steps/s\n", single, unitSteps / single);
    std::printf("  batched / one at a time: %.2fx (aim >= 5x)\n", single / batched);

    // A circuit of the curve unit, every unit of its diagram pictured w.r.t. the circuit.
    const std::string dir = (std::filesystem::temp_directory_path() / "cx_bench_vis").string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    if (!writeShapesImages(dir + "/shapes.safetensors", 64, 5)) return 1;
    ScoreSpec spec;
    spec.images = dir + "/shapes.safetensors";
    spec.target = "features.conv4:27";
    auto scores = computeScores(*workspace, spec, job);
    if (!scores) return std::fprintf(stderr, "%s\n", scores.error().message.c_str()), 1;
    PruneSpec prune;
    prune.sparsity = sparsity;
    auto circuit = pruneCircuit(*workspace, *scores.value(), prune, job);
    if (!circuit) return std::fprintf(stderr, "%s\n", circuit.error().message.c_str()), 1;
    const auto pictured = circuitUnits(*workspace, *circuit.value().mask);
    auto s = settings(512, 16);
    s.cacheDir = dir + "/cache";
    auto t0 = std::chrono::steady_clock::now();
    auto pictures = visualizeUnits(*workspace, circuit.value().mask, pictured, s, job);
    if (!pictures) return 1;
    const double first = seconds(t0);
    int flat = 0;
    for (const auto& p : pictures.value()) flat += p.flat ? 1 : 0;
    t0 = std::chrono::steady_clock::now();
    if (!visualizeUnits(*workspace, circuit.value().mask, pictured, s, job)) return 1;
    const double cached = seconds(t0);
    std::printf("circuit of features.conv4:27 at %.3g kept (effective %lld kernels): %zu units pictured w.r.t. it "
                "(%d flat), 512 steps, batch 16\n",
                sparsity, static_cast<long long>(circuit.value().report.effectiveKept), pictured.size(), flat);
    std::printf("  first: %.1f s (aim < 30 s for 34 units), %.2f s per unit\n", first, first / double(pictured.size()));
    std::printf("  from the cache: %.3f s (aim < 1 s)\n", cached);
    std::filesystem::remove_all(dir);
    return 0;
}
