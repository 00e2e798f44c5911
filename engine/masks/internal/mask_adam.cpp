#include "engine/masks/internal/mask_adam.h"

#include <cmath>
#include <mutex>

#include "engine/core/internal/intra_op.h"
#include "engine/masks/internal/mask_kernels.h"

namespace cx::engine {
namespace {

constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;  // torch::optim::AdamOptions' defaults

// torch::optim::Adam's scalars for a step (1-based), computed in double as it computes them and
// rounded to float as its ops round a double Scalar for a float tensor.
AdamCoefficients coefficients(double learningRate, int64_t step) {
    const double biasCorrection1 = 1 - std::pow(kBeta1, double(step));
    const double biasCorrection2 = 1 - std::pow(kBeta2, double(step));
    AdamCoefficients c;
    c.beta1 = float(kBeta1);
    c.oneMinusBeta1 = float(1 - kBeta1);
    c.beta2 = float(kBeta2);
    c.oneMinusBeta2 = float(1 - kBeta2);
    c.sqrtBiasCorrection2 = float(std::sqrt(biasCorrection2));
    c.eps = float(kEps);
    c.negativeStepSize = float(-(learningRate / biasCorrection1));
    return c;
}

// torch::optim::Adam::step's ops for one parameter, in its order.
void opsStep(torch::Tensor& param, const torch::Tensor& grad, torch::Tensor& expAvg, torch::Tensor& expAvgSq,
             double learningRate, int64_t step) {
    const double biasCorrection1 = 1 - std::pow(kBeta1, double(step));
    const double biasCorrection2 = 1 - std::pow(kBeta2, double(step));
    expAvg.mul_(kBeta1).add_(grad, 1 - kBeta1);
    expAvgSq.mul_(kBeta2).addcmul_(grad, grad, 1 - kBeta2);
    const auto denom = (expAvgSq.sqrt() / std::sqrt(biasCorrection2)).add_(kEps);
    param.addcdiv_(expAvg, denom, -(learningRate / biasCorrection1));
}

bool plainFloats(std::initializer_list<const torch::Tensor*> tensors) {
    for (const auto* t : tensors)
        if (!t->defined() || t->device().type() != torch::kCPU || t->scalar_type() != torch::kFloat32 || !t->is_contiguous())
            return false;
    return true;
}

void kernelStep(AdamRange kernel, torch::Tensor& param, const torch::Tensor& grad, torch::Tensor& expAvg,
                torch::Tensor& expAvgSq, const AdamCoefficients& c) {
    float* p = param.data_ptr<float>();
    const float* g = grad.data_ptr<float>();
    float* m = expAvg.data_ptr<float>();
    float* v = expAvgSq.data_ptr<float>();
    // LibTorch's elementwise grain; every operation is correctly rounded, so the split does not
    // change a result, it only spreads the work as LibTorch's ops do.
    parallelChunks(param.numel(), [&](int64_t begin, int64_t end) { kernel(p, g, m, v, c, begin, end); });
    param.unsafeGetTensorImpl()->bump_version();  // as an in-place op would
}

// The kernel for LibTorch's capability, once it has reproduced torch::optim::Adam bit for bit over
// twelve steps of a probe: vector blocks and a scalar tail (1000 = 62 x 16 + 8 and 31 x 32 + 8),
// gradients from 1e-4 to 1e2 of both signs and zeros among them. The probe draws no random
// numbers: a training run's random stream stays as it was.
AdamRange chooseKernel() {
    const AdamRange kernel = adamKernel();
    if (!kernel) return nullptr;
    torch::NoGradGuard noGrad;
    const int64_t n = 1000;
    auto reference = torch::linspace(-2.0, 2.0, n).requires_grad_(true);
    auto param = reference.detach().clone();
    auto expAvg = torch::zeros_like(param), expAvgSq = torch::zeros_like(param);
    torch::optim::Adam adam({reference}, torch::optim::AdamOptions(0.05));
    const auto index = torch::arange(n, torch::kFloat32);
    for (int64_t step = 1; step <= 12; ++step) {
        auto grad = torch::sin(index * float(0.37 * double(step))) * float(std::pow(10.0, double(step % 4) * 2 - 4));
        grad.masked_fill_(torch::remainder(index, 7.0) == 0, 0.0);
        reference.mutable_grad() = grad.clone();
        adam.step();
        kernel(param.data_ptr<float>(), grad.data_ptr<float>(), expAvg.data_ptr<float>(), expAvgSq.data_ptr<float>(),
               coefficients(0.05, step), 0, n);
        if (!torch::equal(param, reference.detach())) return nullptr;
    }
    return kernel;
}

AdamRange probedKernel() {
    static std::once_flag once;
    static AdamRange kernel = nullptr;
    std::call_once(once, [] { kernel = chooseKernel(); });
    return kernel;
}

}  // namespace

MaskAdam::MaskAdam(std::vector<torch::Tensor> params, double learningRate)
    : m_params(std::move(params)), m_states(m_params.size()), m_learningRate(learningRate) {}

bool MaskAdam::fused() { return probedKernel() != nullptr; }

void MaskAdam::zeroGrad() {
    for (auto& p : m_params) p.mutable_grad().reset();
}

void MaskAdam::step() {
    torch::NoGradGuard noGrad;
    const AdamRange kernel = probedKernel();
    for (size_t i = 0; i < m_params.size(); ++i) {
        auto& param = m_params[i];
        const auto& grad = param.grad();
        if (!grad.defined()) continue;
        auto& state = m_states[i];
        if (!state.expAvg.defined()) {
            state.expAvg = torch::zeros_like(param, torch::MemoryFormat::Preserve);
            state.expAvgSq = torch::zeros_like(param, torch::MemoryFormat::Preserve);
        }
        ++state.step;
        if (kernel && plainFloats({&param, &grad, &state.expAvg, &state.expAvgSq}))
            kernelStep(kernel, param, grad, state.expAvg, state.expAvgSq, coefficients(m_learningRate, state.step));
        else
            opsStep(param, grad, state.expAvg, state.expAvgSq, m_learningRate, state.step);
    }
}

}  // namespace cx::engine
