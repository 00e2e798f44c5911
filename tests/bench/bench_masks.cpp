// Mask-training benchmark: one learned-mask training step against one plain forward+backward
// step of the same model and batch, measured side by side. Not run by ctest:
//   cmake --build build --target cx_bench_masks && build/tests/bench/cx_bench_masks
#include <chrono>
#include <cstdio>

#include <torch/torch.h>

#include "engine/internal/forward_plan.h"
#include "engine/internal/mask_training.h"
#include "engine/internal/model_impl.h"
#include "engine/internal/shapes_render.h"
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

}  // namespace

int main() {
    initRuntime();
    auto model = Model::load(CX_DEMO_MODEL).take();
    const auto data = generateShapes({64, 5, 64});
    std::vector<int> layers;
    std::vector<std::string> params;
    for (size_t l = 0; l < model->summary().layers.size(); ++l) {
        layers.push_back(int(l));
        params.push_back(model->summary().layers[l].param);
    }
    auto plan = ForwardPlan::build(*model, {}, true, params).take();
    auto loss = [&](const torch::Tensor& logits) {
        return torch::nll_loss(torch::log_softmax(logits, -1), data.labels, {}, at::Reduction::Sum);
    };

    // Plain: the model's own weights as trainable leaves, forward, backward, optimiser step.
    std::vector<torch::Tensor> weights;
    for (const auto& p : params) weights.push_back(model->impl().param(p).clone().requires_grad_(true));
    torch::optim::Adam plainOpt(weights, torch::optim::AdamOptions(1e-3));
    const int steps = 30;
    double best = 1e30, bestMask = 1e30;
    for (int round = 0; round < 3; ++round) {
        best = std::min(best, perStep(steps, [&] {
            plainOpt.zero_grad();
            loss(plan.run({data.images}, weights).modelOutput.toTensor()).backward();
            plainOpt.step();
        }));
        // Masked: weight-level continuous sparsification masks on every layer.
        MaskTrainOptions o;
        o.layers = layers;
        o.granularity = Granularity::Weight;
        MaskSet set(*model, o);
        torch::optim::Adam maskOpt(set.parameters(), torch::optim::AdamOptions(0.1));
        bestMask = std::min(bestMask, perStep(steps, [&] {
            maskOpt.zero_grad();
            auto w = maskedWeights(*model, set.trainingMasks(1.0));
            (loss(plan.run({data.images}, w.tensors).modelOutput.toTensor()) + 1e-8 * set.l0(1.0)).backward();
            maskOpt.step();
        }));
    }
    std::printf("demo CNN, batch 64, weight masks on all 7 layers (%d threads)\n", torch::get_num_threads());
    std::printf("  plain forward+backward+step   %7.2f ms\n", 1e3 * best);
    std::printf("  mask training step            %7.2f ms   ratio %.2f (aim <= 1.5)\n", 1e3 * bestMask, bestMask / best);
    return 0;
}
