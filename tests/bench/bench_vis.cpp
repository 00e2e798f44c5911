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
#include <set>

#include <torch/torch.h>

#include "engine/demo/demo_run.h"
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

// Every unit a mask keeps a kernel into or out of (what its diagram draws), outputs and inputs of
// each masked layer.
std::vector<VisObjective> circuitUnits(const Workspace& w, const Mask& mask) {
    const auto& summary = w.summary();
    std::set<std::pair<int, int64_t>> units;
    for (const auto& [layer, grid] : mask.data.masks) {
        const auto kept = grid.to(torch::kBool);
        const auto outs = kept.any(1).nonzero().flatten();
        for (int64_t i = 0; i < outs.numel(); ++i) units.insert({layer, outs[i].item<int64_t>()});
        const auto& info = summary.layers[size_t(layer)];
        if (!info.inputs.empty() && info.inputs[0].source >= 0 && info.inputs[0].mode == FlowMode::Identity) {
            const auto ins = kept.any(0).nonzero().flatten();
            for (int64_t i = 0; i < ins.numel(); ++i) units.insert({info.inputs[0].source, ins[i].item<int64_t>()});
        }
    }
    std::vector<VisObjective> out;
    for (const auto& [layer, unit] : units) out.push_back({summary.layers[size_t(layer)].name, unit});
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const int steps = argc > 1 ? std::atoi(argv[1]) : 64;
    const double sparsity = argc > 2 ? std::atof(argv[2]) : 0.02;
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
    if (!visualizeUnits(*workspace, circuit.value().mask, pictured, s, job)) return 1;
    const double first = seconds(t0);
    t0 = std::chrono::steady_clock::now();
    if (!visualizeUnits(*workspace, circuit.value().mask, pictured, s, job)) return 1;
    const double cached = seconds(t0);
    std::printf("circuit of features.conv4:27 at %.3g kept: %zu units pictured w.r.t. it, 512 steps, batch 16\n", sparsity,
                pictured.size());
    std::printf("  first: %.1f s (aim < 30 s for 34 units), %.2f s per unit\n", first, first / double(pictured.size()));
    std::printf("  from the cache: %.3f s (aim < 1 s)\n", cached);
    std::filesystem::remove_all(dir);
    return 0;
}
