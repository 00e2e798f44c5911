// Mask-training benchmark (issue 18): learned weight masks (continuous sparsification, frozen
// base, L0 on, Adam, batch 64, 2,048 examples) on an MLP 784-512-512-10 and a 2-layer pre-LN
// transformer (d 128, 4 heads, vocabulary 20, length 12), every linear layer masked at weight
// granularity. Measured side by side in one run:
//   - a plain step: the same forward, backward and Adam step training the layers' weights;
//   - trainMasks at a constant T = 1, and annealed to T = 200 (its epoch times);
// and printed as ratios: mask step / plain step at T = 1 and in the last epoch at T = 200, and
// the annealed run's last epoch / first epoch. Not run by ctest:
//   cmake --build build --target cx_bench_masks && build/tests/bench/cx_bench_masks [--epochs N] [--only mlp|transformer] [--write DIR]
// --write DIR also saves the models and tasks (mlp.pt, mlp_task.safetensors, transformer.pt,
// transformer_task.safetensors) for tests/bench/neurosurgeon_masks.py, which runs the same work
// through NeuroSurgeon's CircuitModel.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include <torch/torch.h>

#include "engine/core/internal/blas_kernels.h"
#include "engine/core/runtime.h"
#include "engine/io/internal/tensor_io.h"
#include "engine/io/safetensors.h"
#include "engine/masks/internal/mask_adam.h"
#include "engine/masks/internal/mask_training.h"
#include "engine/masks/internal/task_loss.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/script_modules.h"
#include "engine/model/model.h"

using namespace cx::engine;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kExamples = 2048, kBatch = 64;
constexpr double kLambda = 1e-6, kLearningRate = 0.05;

double seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

torch::jit::Module mlp() {
    torch::jit::Module net("cx_bench.MLP");
    net.register_module("fc1", scriptLinear("fc1", 784, 512));
    net.register_module("fc2", scriptLinear("fc2", 512, 512));
    net.register_module("fc3", scriptLinear("fc3", 512, 10));
    net.define(R"(
def forward(self, x):
    x = torch.relu(self.fc1.forward(x))
    x = torch.relu(self.fc2.forward(x))
    return self.fc3.forward(x)
)");
    return net;
}

struct Bench {
    std::string name;
    torch::jit::Module module;
    torch::Tensor inputs, targets;  // targets: the model's own predictions (a task its full mask solves)
};

Bench makeMlp() {
    torch::manual_seed(1);
    Bench b{"MLP 784-512-512-10", mlp(), torch::randn({kExamples, 784}), {}};
    torch::NoGradGuard noGrad;
    b.targets = b.module.forward({b.inputs}).toTensor().argmax(-1);
    return b;
}

Bench makeTransformer() {
    torch::manual_seed(2);
    Bench b{"transformer 2 x d128, 4 heads, vocab 20, length 12", scriptGpt("cx_bench.GPT", {20, 12, 128, 2, 4}),
            torch::randint(20, {kExamples, 12}, torch::kInt64), {}};
    torch::NoGradGuard noGrad;
    b.targets = b.module.forward({b.inputs}).toTensor().argmax(-1);
    return b;
}

void writeTask(const std::string& path, const Bench& b) {
    SafetensorsFile file;
    file.tensors["inputs"] = tensorToBlob(b.inputs);
    file.tensors["targets"] = tensorToBlob(b.targets);
    if (auto st = writeSafetensors(path, file); !st) std::fprintf(stderr, "%s\n", st.error().message.c_str());
}

std::vector<int> linearLayers(const Model& model) {
    std::vector<int> out;
    for (size_t l = 0; l < model.summary().layers.size(); ++l)
        if (model.summary().layers[l].kind == LayerKind::Linear) out.push_back(int(l));
    return out;
}

MaskTrainOptions trainOptions(const std::vector<int>& layers, int epochs, double finalT, bool fused) {
    MaskTrainOptions o;
    o.layers = layers;
    o.granularity = Granularity::Weight;
    o.epochs = epochs;
    o.batchSize = kBatch;
    o.lambda = kLambda;
    o.learningRate = kLearningRate;
    o.finalTemperature = finalT;
    o.fusedSoftMask = fused;
    return o;
}

struct Run {
    std::vector<double> epochSeconds;
    std::map<int, torch::Tensor> logits, hardMasks;
    double fractionKept = 0, accuracy = 0;
};

// trainMasks itself, timed per epoch (an epoch ends when the next one's first step reports).
Run trainRun(const Model& model, const Bench& b, const MaskTrainOptions& o) {
    Run run;
    JobContext job;
    auto epochStart = Clock::now();
    int epoch = 0;
    job.onProgress = [&](const Progress& p) {
        const auto* step = std::any_cast<MaskStep>(&p.payload);
        if (!step || step->epoch == epoch) return;
        run.epochSeconds.push_back(seconds(epochStart));
        epochStart = Clock::now();
        epoch = step->epoch;
    };
    auto set = trainMasks(model, b.inputs, b.targets, o, job);
    run.epochSeconds.push_back(seconds(epochStart));
    if (!set) {
        std::fprintf(stderr, "training failed: %s\n", set.error().message.c_str());
        std::exit(1);
    }
    for (const auto& [l, s] : set.value().logits()) run.logits[l] = s.detach().clone();
    run.hardMasks = set.value().hardMasks();
    run.fractionKept = double(set.value().keptUnits()) / double(set.value().totalUnits());
    run.accuracy = maskedAccuracy(model, run.hardMasks, b.inputs, b.targets);
    return run;
}

struct Steps {
    double plain = 1e30, plainMaskAdam = 1e30, cold = 1e30, hot = 1e30;
};

// Per-step times in interleaved rounds (best of 5 rounds of 16 steps each), so that the machine's
// drift hits all four alike:
// - a plain step: the layers' weights as trainable leaves, forward, backward, torch::optim::Adam,
//   gradients set to none between steps (PyTorch 2's zero_grad default);
// - the same plain step with the mask training's optimizer (MaskAdam) instead;
// - a mask step at T = 1 from fresh logits, and at T = 200 from the logits an annealed run ended
//   with. A mask step is trainMasks's: soft masks, forward, loss + L0, backward, MaskAdam, with
//   subnormals flushed as trainMasks does.
Steps interleavedSteps(const Model& model, const Bench& b, const MaskTrainOptions& options, const Run& annealed) {
    std::vector<std::string> params;
    std::vector<torch::Tensor> weights;
    for (int l : options.layers) {
        params.push_back(model.summary().layers[size_t(l)].param);
        weights.push_back(model.impl().param(params.back()).clone().requires_grad_(true));
    }
    auto plan = ForwardPlan::build(model, {}, true, params).take();
    torch::optim::Adam plainOpt(weights, torch::optim::AdamOptions(1e-3));
    std::vector<torch::Tensor> otherWeights;
    for (const auto& w : weights) otherWeights.push_back(w.detach().clone().requires_grad_(true));
    MaskAdam plainMaskOpt(otherWeights, 1e-3);
    MaskSet cold(model, options), hot(model, options);
    if (!hot.restore(annealed.logits)) std::exit(1);
    MaskAdam coldOpt(cold.parameters(), kLearningRate);
    MaskAdam hotOpt(hot.parameters(), kLearningRate);
    auto batch = [&](int64_t i) { return torch::arange(i * kBatch, (i + 1) * kBatch) % kExamples; };
    auto plainStep = [&](int64_t i) {
        const auto idx = batch(i);
        for (auto& w : weights) w.mutable_grad().reset();
        taskLoss(plan.run({b.inputs.index_select(0, idx)}, weights).modelOutput.toTensor(), b.targets.index_select(0, idx), false)
            .backward();
        plainOpt.step();
    };
    auto plainMaskAdamStep = [&](int64_t i) {
        const auto idx = batch(i);
        plainMaskOpt.zeroGrad();
        taskLoss(plan.run({b.inputs.index_select(0, idx)}, otherWeights).modelOutput.toTensor(),
                 b.targets.index_select(0, idx), false)
            .backward();
        plainMaskOpt.step();
    };
    auto maskStep = [&](MaskSet& set, MaskAdam& opt, double temperature, int64_t i) {
        const FlushDenormals flushed(options.flushDenormals);
        const auto idx = batch(i);
        auto soft = set.trainingStep(temperature);
        auto out = plan.run({b.inputs.index_select(0, idx)}, soft.weights.tensors).modelOutput.toTensor();
        auto loss = taskLoss(out, b.targets.index_select(0, idx), false) + kLambda * soft.l0;
        opt.zeroGrad();
        (loss * double(kBatch)).backward();
        opt.step();
    };
    auto perStep = [](const std::function<void(int64_t)>& step) {
        const auto t0 = Clock::now();
        for (int i = 0; i < 16; ++i) step(i);
        return seconds(t0) / 16;
    };
    // CX_BENCH_BREAKDOWN=1: where a step's time goes (the fastest of 64 steps for each phase).
    if (std::getenv("CX_BENCH_BREAKDOWN")) {
        for (double T : {1.0, 200.0}) {
            auto& set = T == 1.0 ? cold : hot;
            auto& opt = T == 1.0 ? coldOpt : hotOpt;
            double parts[4] = {1, 1, 1, 1}, pp[4] = {1, 1, 1, 1};
            auto d = [](Clock::time_point from, Clock::time_point to) { return std::chrono::duration<double>(to - from).count(); };
            for (int i = 0; i < 64; ++i) {
                const FlushDenormals flushed(options.flushDenormals);
                auto t0 = Clock::now();
                const auto idx = batch(i);
                auto soft = set.trainingStep(T);
                auto t1 = Clock::now();
                auto out = plan.run({b.inputs.index_select(0, idx)}, soft.weights.tensors).modelOutput.toTensor();
                auto loss = taskLoss(out, b.targets.index_select(0, idx), false) + kLambda * soft.l0;
                auto t2 = Clock::now();
                opt.zeroGrad();
                (loss * double(kBatch)).backward();
                auto t3 = Clock::now();
                opt.step();
                auto t4 = Clock::now();
                parts[0] = std::min(parts[0], d(t0, t1));
                parts[1] = std::min(parts[1], d(t1, t2));
                parts[2] = std::min(parts[2], d(t2, t3));
                parts[3] = std::min(parts[3], d(t3, t4));
                t0 = Clock::now();
                const auto idx2 = batch(i);
                for (auto& w : weights) w.mutable_grad().reset();
                auto out2 = plan.run({b.inputs.index_select(0, idx2)}, weights).modelOutput.toTensor();
                auto loss2 = taskLoss(out2, b.targets.index_select(0, idx2), false);
                t2 = Clock::now();
                loss2.backward();
                t3 = Clock::now();
                plainOpt.step();
                t4 = Clock::now();
                pp[1] = std::min(pp[1], d(t0, t2));
                pp[2] = std::min(pp[2], d(t2, t3));
                pp[3] = std::min(pp[3], d(t3, t4));
            }
            std::printf("  T %g min ms: mask soft %.3f fwd %.3f bwd %.3f adam %.3f | plain fwd %.3f bwd %.3f adam %.3f\n", T,
                        1e3 * parts[0], 1e3 * parts[1], 1e3 * parts[2], 1e3 * parts[3], 1e3 * pp[1], 1e3 * pp[2], 1e3 * pp[3]);
        }
    }
    Steps best;
    for (int round = 0; round < 6; ++round) {  // round 0 warms up
        const double plain = perStep(plainStep);
        const double plainMaskAdam = perStep(plainMaskAdamStep);
        const double c = perStep([&](int64_t i) { maskStep(cold, coldOpt, 1.0, i); });
        const double h = perStep([&](int64_t i) { maskStep(hot, hotOpt, 200.0, i); });
        if (round == 0) continue;
        best = {std::min(best.plain, plain), std::min(best.plainMaskAdam, plainMaskAdam), std::min(best.cold, c),
                std::min(best.hot, h)};
    }
    return best;
}

bool sameMasks(const std::map<int, torch::Tensor>& a, const std::map<int, torch::Tensor>& b) {
    for (const auto& [l, m] : a)
        if (!torch::equal(m, b.at(l))) return false;
    return true;
}

void report(const Bench& b, const std::string& dir, int epochs) {
    const std::string path = dir + "/model.pt";
    b.module.save(path);
    auto model = Model::load(path).take();
    const auto layers = linearLayers(*model);
    const double steps = double(kExamples / kBatch);
    std::printf("%s, %zu linear layers masked, %d epochs of %.0f steps, annealed to T = 200\n", b.name.c_str(), layers.size(),
                epochs, steps);
    std::printf("  %-34s %8s %8s %8s %11s %9s %7s %9s %12s\n", "soft mask", "plain ms", "T=1 x", "T=200 x", "last/first",
                "kept", "acc", "same mask", "same-Adam x");
    Run reference;
    for (bool fused : {false, true}) {
        const auto options = trainOptions(layers, epochs, 200.0, fused);
        const auto run = trainRun(*model, b, options);
        if (!fused) reference = run;
        const auto t = interleavedSteps(*model, b, options, run);
        std::printf("  %-34s %8.2f %8.2f %8.2f %11.2f %9.4f %7.4f %9s %5.2f %5.2f\n",
                    fused ? "fused node (cx now)" : "autograd expression, flushed", 1e3 * t.plain, t.cold / t.plain,
                    t.hot / t.plain, run.epochSeconds.back() / run.epochSeconds.front(), run.fractionKept, run.accuracy,
                    sameMasks(run.hardMasks, reference.hardMasks) ? "yes" : "NO", t.cold / t.plainMaskAdam,
                    t.hot / t.plainMaskAdam);
        std::printf("    epochs (s):");
        for (double e : run.epochSeconds) std::printf(" %.2f", e);
        std::printf("\n");
    }
    std::printf("  aims: mask step <= 1.3 x plain at T = 1 and T = 200; last / first epoch <= 1.2\n"
                "  (same-Adam x: the mask step over a plain step that also uses MaskAdam, at T = 1 and T = 200)\n");
}

}  // namespace

int main(int argc, char** argv) {
    initRuntime();
    int epochs = 6;
    std::string writeDir, only;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--epochs") epochs = std::max(2, std::atoi(argv[i + 1]));
        if (flag == "--write") writeDir = argv[i + 1];
        if (flag == "--only") only = argv[i + 1];
    }
    std::printf("%d threads, OpenBLAS kernels %s; lambda %g, lr %g, batch %lld, %lld examples\n", torch::get_num_threads(),
                blasKernels().c_str(), kLambda, kLearningRate,
                (long long)kBatch, (long long)kExamples);
    const auto dir = fs::temp_directory_path() / ("cx_bench_masks_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::vector<std::pair<std::string, Bench>> benches{{"mlp", makeMlp()}, {"transformer", makeTransformer()}};
    for (const auto& [file, bench] : benches) {
        if (!only.empty() && only != file) continue;
        if (!writeDir.empty()) {
            fs::create_directories(writeDir);
            bench.module.save(writeDir + "/" + file + ".pt");
            writeTask(writeDir + "/" + file + "_task.safetensors", bench);
        }
        report(bench, dir.string(), epochs);
    }
    fs::remove_all(dir);
    return 0;
}
