#include "engine/demo/demo_transformer.h"

#include <chrono>
#include <cmath>
#include <deque>
#include <sstream>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/data/internal/arithmetic_data.h"
#include "engine/io/atomic_file.h"
#include "engine/masks/internal/task_loss.h"
#include "engine/model/internal/script_modules.h"

namespace cx::engine {
namespace {

constexpr int64_t kDemoHeads = 4;

torch::jit::Module buildDemoTransformer(const DemoTransformerOptions& o) {
    return scriptGpt("cx_demo.ArithmeticGPT", {kArithmeticVocabulary, kArithmeticInputLength, o.width, o.layers, kDemoHeads});
}

torch::Tensor heldOutCorrect(torch::jit::Module& net, ArithmeticOp op, int64_t& count) {
    torch::NoGradGuard noGrad;
    const auto task = arithmeticTask(op, ArithmeticSplit::HeldOut);
    count = task.inputs.size(0);
    return exactCorrect(net.forward({task.inputs}).toTensor(), task.targets);
}

}  // namespace

Result<DemoTransformerReport> trainDemoTransformer(const DemoTransformerOptions& o, JobContext& job) {
    initRuntime();
    if (o.steps < 1) return invalidInput("steps must be at least 1");
    if (o.width % kDemoHeads != 0 || o.width < kDemoHeads) return invalidInput("the width must be a positive multiple of 4 (heads)");
    if (o.out.empty()) return invalidInput("no output path given");
    return guarded<DemoTransformerReport>("demo transformer training", [&]() -> Result<DemoTransformerReport> {
        const auto start = std::chrono::steady_clock::now();
        torch::manual_seed(o.seed);
        auto net = buildDemoTransformer(o);
        const auto add = arithmeticTask(ArithmeticOp::Addition, ArithmeticSplit::Train);
        const auto mul = arithmeticTask(ArithmeticOp::Multiplication, ArithmeticSplit::Train);
        const auto inputs = torch::cat({add.inputs, mul.inputs});
        const auto targets = torch::cat({add.targets, mul.targets});
        std::vector<torch::Tensor> params;
        for (const auto& p : net.parameters()) params.push_back(p.set_requires_grad(true));
        torch::optim::AdamW optimizer(
            params, torch::optim::AdamWOptions(o.learningRate).weight_decay(o.weightDecay).betas({0.9, 0.98}));
        net.train();
        std::deque<double> recent;
        for (int64_t step = 0; step < o.steps; ++step) {
            if (job.cancelled()) return cancelledError();
            const double warm = std::min(1.0, double(step + 1) / 200.0);
            const double lr = o.learningRate * warm * 0.5 * (1.0 + std::cos(M_PI * double(step) / double(o.steps)));
            static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[0].options()).lr(lr);
            auto idx = torch::randint(inputs.size(0), {o.batchSize}, torch::kInt64);
            auto loss = taskLoss(net.forward({inputs.index_select(0, idx)}).toTensor(), targets.index_select(0, idx), false);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            recent.push_back(loss.item<double>());
            if (recent.size() > 100) recent.pop_front();
            job.progress("train", double(step + 1) / double(o.steps));
            if ((step + 1) % 500 == 0)
                job.log("step " + std::to_string(step + 1) + "/" + std::to_string(o.steps) + ": loss " + std::to_string(recent.back()));
        }
        for (auto& p : params) p.set_requires_grad(false);
        net.eval();
        DemoTransformerReport report;
        for (double v : recent) report.trainLoss += v / double(recent.size());
        report.additionAccuracy = heldOutCorrect(net, ArithmeticOp::Addition, report.heldOutProblems).to(torch::kDouble).mean().item<double>();
        report.multiplicationAccuracy =
            heldOutCorrect(net, ArithmeticOp::Multiplication, report.heldOutProblems).to(torch::kDouble).mean().item<double>();
        std::ostringstream saved;  // TorchScript's own writer, then the atomic write of every output
        net.save(saved);
        if (auto st = writeFileAtomic(o.out, saved.str()); !st) return st.error();
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return report;
    });
}

Result<double> arithmeticAccuracy(const std::string& modelPath, ArithmeticOp op) {
    initRuntime();
    return guarded<double>("evaluating " + modelPath, [&]() -> Result<double> {
        auto net = torch::jit::load(modelPath);
        net.eval();
        int64_t count = 0;
        return heldOutCorrect(net, op, count).to(torch::kDouble).mean().item<double>();
    });
}

}  // namespace cx::engine
