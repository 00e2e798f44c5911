// Circuit pruning benchmark: ratios measured side by side in one run (absolute times drift on
// a shared machine). Not part of the test suite: build target cx_bench_pruning, then
//   build/tests/bench/cx_bench_pruning [--quick]
// Workloads: the demo CNN (target in its 4th conv layer, 512 images) and an AlexNet-shaped
// network with random weights at 224 x 224 (64 images).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <sstream>

#include <torch/script.h>
#include <torch/torch.h>

#include "engine/core/runtime.h"
#include "engine/data/internal/shapes_render.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/circuit.h"
#include "engine/pruning/internal/force.h"
#include "engine/pruning/internal/preservation.h"
#include "engine/pruning/internal/scoring.h"
#include "engine/pruning/internal/sweep.h"

using namespace cx::engine;

namespace {

double seconds(const std::function<void()>& fn, int repeats = 1) {
    double best = 1e30;
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

long peakRssMiB() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

// AlexNet's layer shapes (torchvision naming), random weights, written as TorchScript.
std::string writeAlexNetShaped(const std::string& path) {
    struct Conv { const char* name; int64_t in, out, k, s, p; };
    const Conv convs[] = {{"c0", 3, 64, 11, 4, 2}, {"c3", 64, 192, 5, 1, 2}, {"c6", 192, 384, 3, 1, 1},
                          {"c8", 384, 256, 3, 1, 1}, {"c10", 256, 256, 3, 1, 1}};
    torch::jit::Module features("cx_bench.Features");
    for (const auto& c : convs) {
        torch::jit::Module m(std::string("cx_bench.") + c.name);
        m.register_parameter("weight", torch::randn({c.out, c.in, c.k, c.k}) * std::sqrt(2.0 / double(c.in * c.k * c.k)), false);
        m.register_parameter("bias", torch::randn({c.out}) * 0.01, false);
        std::ostringstream src;
        src << "def forward(self, x):\n    return torch.conv2d(x, self.weight, self.bias, [" << c.s << ", " << c.s << "], ["
            << c.p << ", " << c.p << "], [1, 1], 1)\n";
        m.define(src.str());
        features.register_module(c.name, m);
    }
    features.define(R"(
def forward(self, x):
    x = torch.max_pool2d(torch.relu(self.c0.forward(x)), [3, 3], [2, 2])
    x = torch.max_pool2d(torch.relu(self.c3.forward(x)), [3, 3], [2, 2])
    x = torch.relu(self.c6.forward(x))
    x = torch.relu(self.c8.forward(x))
    return torch.max_pool2d(torch.relu(self.c10.forward(x)), [3, 3], [2, 2])
)");
    torch::jit::Module net("cx_bench.AlexNetShaped");
    net.register_module("features", features);
    net.define("def forward(self, x):\n    return self.features.forward(x)\n");
    net.save(path);
    return path;
}

struct Workload {
    std::string name, model, target;
    torch::Tensor images;
};

// The floor: the same truncated forward to the target, the objective, and its backward.
double plainForwardBackward(const Model& m, const torch::Tensor& images, const TargetSpec& target, int64_t batch) {
    const auto& s = m.summary();
    const int t = s.indexOf(target.layer);
    std::vector<std::string> params;
    for (int l = 0; l <= t; ++l) params.push_back(s.layers[size_t(l)].param);
    auto plan = ForwardPlan::build(m, {{t, ProbeSide::Output}}, false, params).take();
    std::vector<torch::Tensor> weights;
    for (const auto& p : params) weights.push_back(m.impl().param(p).detach().requires_grad_(true));
    return seconds([&] {
        for (int64_t b = 0; b < images.size(0); b += batch) {
            auto y = plan.run({images.narrow(0, b, std::min(batch, images.size(0) - b))}, weights).probes[0];
            auto objective = perImageObjective(s.layers[size_t(t)], target, y).sum();
            torch::autograd::grad({objective}, weights, {}, false, false, true);
        }
    });
}

double plainForward(const Model& m, const torch::Tensor& images, const TargetSpec& target, int64_t batch) {
    JobContext job;
    return seconds([&] { targetActivations(m, images, target, nullptr, batch, job); });
}

void run(const Workload& w, bool quick) {
    auto model = Model::load(w.model).take();
    auto target = parseTarget(w.target).value();
    const int64_t batch = 32;
    JobContext job;
    std::printf("\n== %s: target %s, %lld images of %lldx%lld, %d threads\n", w.name.c_str(), w.target.c_str(),
                (long long)w.images.size(0), (long long)w.images.size(2), (long long)w.images.size(3), torch::get_num_threads());
    plainForward(*model, w.images, target, batch);  // warm-up: first-call allocations and kernel selection
    // Best of 3 for the short denominators; the machine is shared and single runs are noisy.
    const double fwdBwd = std::min({plainForwardBackward(*model, w.images, target, batch),
                                    plainForwardBackward(*model, w.images, target, batch),
                                    plainForwardBackward(*model, w.images, target, batch)});
    double fwd = 1e30;
    for (int r = 0; r < 3; ++r) fwd = std::min(fwd, plainForward(*model, w.images, target, batch));
    ScoreOptions opt{target, Criterion::ActGrad, batch, 0, "cpu"};
    UnitScores scores;
    const long rssBefore = peakRssMiB();
    const double actgrad = seconds([&] { scores = scoreKernels(*model, w.images, opt, job).take(); }, 2);
    opt.criterion = Criterion::Snip;
    const double snip = seconds([&] { scoreKernels(*model, w.images, opt, job).take(); }, 2);
    const auto& levels = defaultSparsities();
    const double evaluation = seconds(
        [&] {
        targetActivations(*model, w.images, target, nullptr, batch, job);
        for (double s : levels) {
            auto c = selectCircuit(*model, scores, {s, false, BiasMode::Masked}).take();
            targetActivations(*model, w.images, target, &c, batch, job);
        }
        },
        2);
    double force = 0;
    const ScoreOptions forceOptions{target, Criterion::Force, batch, 0, "cpu"};
    if (!quick) force = seconds([&] { forceScores(*model, w.images, forceOptions, levels, {}, job).take(); });
    std::printf("  plain truncated forward            %8.3f s\n", fwd);
    std::printf("  plain truncated forward+backward   %8.3f s\n", fwdBwd);
    std::printf("  ActGrad scoring pass               %8.3f s   ratio to forward+backward %.2f (aim <= 2.5)\n", actgrad, actgrad / fwdBwd);
    std::printf("  SNIP scoring pass                  %8.3f s   ratio to forward+backward %.2f\n", snip, snip / fwdBwd);
    std::printf("  13-level sweep evaluation          %8.3f s   ratio to one forward %.2f (aim <= 15; floor 14)\n", evaluation, evaluation / fwd);
    // Each level runs its own 10-step schedule (seed 002): 1 shared + 13 x 9 masked SNIP passes.
    const double forcePasses = 1 + double(levels.size()) * 9;
    if (!quick)
        std::printf("  FORCE, all 13 levels               %8.3f s   ratio to one ActGrad pass %.2f; to %g SNIP passes %.2f (aim <= 1.2)\n",
                    force, force / actgrad, forcePasses, force / (forcePasses * snip));
    std::printf("  peak RSS %ld MiB (before scoring %ld MiB), relevant kernels %lld\n", peakRssMiB(), rssBefore,
                (long long)scores.relevantCount);
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && !std::strcmp(argv[1], "--quick");
    initRuntime();
    torch::manual_seed(0);
    const std::string tmp = std::filesystem::temp_directory_path() / "cx_bench_alexnet.pt";
    std::vector<Workload> workloads = {
        {"demo CNN", CX_DEMO_MODEL, "features.conv4:27", generateShapes({quick ? 128 : 512, 99, 64}).images},
        {"AlexNet-shaped, random weights", writeAlexNetShaped(tmp), "features.c8:17", torch::randn({quick ? 16 : 64, 3, 224, 224})},
    };
    for (const auto& w : workloads) run(w, quick);
    return 0;
}
