// Mask-training benchmark: one learned-mask training step against one plain forward+backward
// step of the same model and batch, measured side by side, on the demo CNN and the demo
// transformer. Not run by ctest:
//   cmake --build build --target cx_bench_masks && build/tests/bench/cx_bench_masks
#include <chrono>
#include <cstdio>

#include <torch/torch.h>

#include "engine/internal/arithmetic_data.h"
#include "engine/internal/forward_plan.h"
#include "engine/internal/mask_training.h"
#include "engine/internal/model_impl.h"
#include "engine/internal/shapes_render.h"
#include "engine/internal/task_loss.h"
#include "engine/model.h"
#include "engine/runtime.h"

using namespace cx::engine;

namespace {

template <typename Fn>
double perStep(int steps, Fn&& step) {
    step();  // warm-up
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / steps;
}

struct Timing {
    double plain = 0, mask = 0;
};

// Best of 3 rounds of `steps` steps each, plain and masked interleaved so drift hits both.
Timing measure(const Model& model, const std::vector<int>& layers, const torch::Tensor& inputs, const torch::Tensor& targets) {
    std::vector<std::string> params;
    for (int l : layers) params.push_back(model.summary().layers[size_t(l)].param);
    auto plan = ForwardPlan::build(model, {}, true, params).take();
    // Plain: the layers' own weights as trainable leaves, forward, backward, optimiser step.
    std::vector<torch::Tensor> weights;
    for (const auto& p : params) weights.push_back(model.impl().param(p).clone().requires_grad_(true));
    torch::optim::Adam plainOpt(weights, torch::optim::AdamOptions(1e-3));
    MaskTrainOptions o;
    o.layers = layers;
    o.granularity = Granularity::Weight;
    MaskSet set(model, o);
    torch::optim::Adam maskOpt(set.parameters(), torch::optim::AdamOptions(0.1));
    Timing best{1e30, 1e30};
    const int steps = 30;
    for (int round = 0; round < 3; ++round) {
        best.plain = std::min(best.plain, perStep(steps, [&] {
            plainOpt.zero_grad();
            taskLoss(plan.run({inputs}, weights).modelOutput.toTensor(), targets, false).backward();
            plainOpt.step();
        }));
        best.mask = std::min(best.mask, perStep(steps, [&] {
            maskOpt.zero_grad();
            auto w = maskedWeights(model, set.trainingMasks(1.0));
            (taskLoss(plan.run({inputs}, w.tensors).modelOutput.toTensor(), targets, false) + 1e-8 * set.l0(1.0)).backward();
            maskOpt.step();
        }));
    }
    return best;
}

void print(const char* what, const Timing& t) {
    std::printf("%s\n  plain forward+backward+step   %7.2f ms\n", what, 1e3 * t.plain);
    std::printf("  mask training step            %7.2f ms   ratio %.2f (aim <= 1.5)\n", 1e3 * t.mask, t.mask / t.plain);
}

}  // namespace

int main() {
    initRuntime();
    std::printf("%d threads\n", torch::get_num_threads());
    {
        auto model = Model::load(CX_DEMO_MODEL).take();
        const auto data = generateShapes({64, 5, 64});
        std::vector<int> layers;
        for (size_t l = 0; l < model->summary().layers.size(); ++l) layers.push_back(int(l));
        print("demo CNN, batch 64, weight masks on all 7 layers", measure(*model, layers, data.images, data.labels));
    }
    {
        auto model = Model::load(CX_DEMO_TRANSFORMER).take();
        const auto task = arithmeticTask(ArithmeticOp::Multiplication, ArithmeticSplit::Train);
        std::vector<int> layers;  // every attention and MLP projection (not the unembedding)
        for (size_t l = 0; l < model->summary().layers.size(); ++l)
            if (model->summary().layers[l].name.rfind("block", 0) == 0) layers.push_back(int(l));
        print("demo transformer, batch 64, weight masks on all 12 attention and MLP layers",
              measure(*model, layers, task.inputs.narrow(0, 0, 64), task.targets.narrow(0, 0, 64)));
    }
    return 0;
}
