#include "engine/pruning/internal/saliency.h"

#include "engine/model/internal/heads.h"

namespace cx::engine {
namespace {

// Linear layers: positions (sequence, ...) flattened, P x features per image.
torch::Tensor perImageRows(const torch::Tensor& t) {
    return t.dim() == 2 ? t.unsqueeze(1) : t.reshape({t.size(0), -1, t.size(-1)});
}

}  // namespace

torch::Tensor examplesFirst(const LayerInfo& l, const torch::Tensor& t, int64_t examples) {
    if (l.isConv()) return t;
    TORCH_CHECK(l.exampleDim != kExamplesUnknown, "layer ", l.name,
                ": where the examples lie in its input could not be followed, so its per-example saliency is "
                "refused (export the model with torch.jit.trace to fix the layout)");
    const int64_t features = t.size(-1);
    if (l.exampleDim == kExamplesMergedMajor) return t.reshape({examples, -1, features});
    if (l.exampleDim == kExamplesMergedMinor) return t.reshape({-1, examples, features}).transpose(0, 1);
    auto moved = l.exampleDim > 0 && l.exampleDim < t.dim() - 1 ? t.movedim(l.exampleDim, 0) : t;
    return moved.reshape({examples, -1, features});
}

namespace {

int64_t chunkFor(int64_t perUnit, int64_t total) {
    return std::max<int64_t>(1, std::min<int64_t>(total, kScoreChunkElements / std::max<int64_t>(1, perUnit)));
}

// An asymmetric 'same' padding has no per-dimension number (graph_layers leaves it empty).
void checkPadding(const LayerInfo& l) {
    TORCH_CHECK(l.padding.size() == l.stride.size(), "layer ", l.name,
                " pads asymmetrically ('same' with an even kernel extent): its kernel saliencies are refused");
}

// One ordinary convolution (the fast kernels, unlike grouped or unfolded forms on CPU).
torch::Tensor convolve(const LayerInfo& l, const torch::Tensor& x, const torch::Tensor& w) {
    checkPadding(l);
    if (l.kind == LayerKind::Conv1d) return torch::conv1d(x, w, {}, l.stride, l.padding, l.dilation);
    return torch::conv2d(x, w, {}, l.stride, l.padding, l.dilation);
}

}  // namespace

torch::Tensor outputMajor(const LayerInfo& layer, const torch::Tensor& weight) {
    return layer.kind == LayerKind::TransposedLinear ? weight.t() : weight;
}

namespace {

torch::Tensor actGradKernelScores(const LayerInfo& l, const torch::Tensor& weight, const torch::Tensor& a,
                                  const torch::Tensor& g) {
    torch::NoGradGuard noGrad;
    const auto w = outputMajor(l, weight).detach();
    const int64_t out = w.size(0), ipg = w.size(1);
    auto scores = torch::zeros({out, ipg}, torch::kFloat32).to(w.device());
    if (!l.isConv()) {
        // z_{n,p,o,i} = w_oi x_{n,p,i}: S = |w| * sum_n (|G_n|^T |X_n|) / P.
        auto x = perImageRows(a).abs(), gr = perImageRows(g).abs();
        const int64_t positions = x.size(1);
        return w.abs() * torch::einsum("npo,npi->oi", {gr, x}) / double(positions);
    }
    // z_{n,o,i} = W_{o,i} * a_i: one ordinary convolution per input channel gives the maps of
    // every output row at once; multiplied by g, |.|, reduced in place, for bounded chunks.
    const int64_t groups = l.groups, opg = out / groups;
    const int64_t positions = g[0][0].numel();
    const int64_t images = a.size(0);
    // Chunks small enough that each map stays in cache for its multiply, |.| and sum (about
    // 2 MiB): memory traffic, not arithmetic, bounds this loop.
    constexpr int64_t kCacheElements = int64_t(1) << 19;
    const int64_t imageChunk = std::max<int64_t>(1, std::min(images, kCacheElements / std::max<int64_t>(1, opg * positions)));
    for (int64_t gr = 0; gr < groups; ++gr)
        for (int64_t n0 = 0; n0 < images; n0 += imageChunk) {
            const int64_t nc = std::min(imageChunk, images - n0);
            const int64_t outChunk = chunkFor(nc * positions, opg);
            for (int64_t o0 = 0; o0 < opg; o0 += outChunk) {
                const int64_t c = std::min(outChunk, opg - o0), first = gr * opg + o0;
                auto gc = g.narrow(0, n0, nc).narrow(1, first, c);
                auto wc = w.narrow(0, first, c);
                for (int64_t i = 0; i < ipg; ++i) {
                    auto z = convolve(l, a.narrow(0, n0, nc).narrow(1, gr * ipg + i, 1), wc.narrow(1, i, 1));
                    scores.narrow(0, first, c).select(1, i) += z.mul_(gc).abs_().flatten(2).sum(at::IntArrayRef{0, 2}) / double(positions);
                }
            }
        }
    return scores;
}

torch::Tensor snipWeightScores(const LayerInfo& l, const torch::Tensor& weight, const torch::Tensor& a,
                               const torch::Tensor& g) {
    torch::NoGradGuard noGrad;
    const auto w = outputMajor(l, weight).detach();
    const int64_t out = w.size(0), ipg = w.size(1);
    const int64_t images = a.size(0);
    if (!l.isConv()) {
        auto x = perImageRows(a), gr = perImageRows(g);
        auto scores = torch::zeros({out, ipg}, w.options());
        const int64_t chunk = chunkFor(out * ipg, images);
        for (int64_t n0 = 0; n0 < images; n0 += chunk) {
            const int64_t nc = std::min(chunk, images - n0);
            auto grads = torch::bmm(gr.narrow(0, n0, nc).transpose(1, 2), x.narrow(0, n0, nc));  // N x O x I
            scores += (grads * w.unsqueeze(0)).abs().sum(0);
        }
        return scores;
    }
    // Per-image weight gradients from the convolution's own backward kernel. For small layers a
    // chunk of images is folded into the groups of one call (image n's channels form their own
    // groups) so that each image does not pay a call; large layers run best one image per call
    // (measured in tests/bench: folding halves SNIP on the demo CNN, doubles it on AlexNet).
    auto scores = torch::zeros_like(w);
    checkPadding(l);
    const std::vector<int64_t> outputPadding(l.stride.size(), 0);
    const int64_t perImageMacs = w.numel() * g[0][0].numel();
    constexpr int64_t kFoldBelowMacs = int64_t(20) << 20;
    const int64_t chunk = perImageMacs < kFoldBelowMacs ? chunkFor(w.numel() + a[0].numel() + g[0].numel(), images) : 1;
    for (int64_t n0 = 0; n0 < images; n0 += chunk) {
        const int64_t nc = std::min(chunk, images - n0);
        auto fold = [nc](const torch::Tensor& t) {
            auto shape = t.sizes().vec();
            shape[0] = 1;
            shape[1] *= nc;
            return t.reshape(shape);
        };
        std::vector<int64_t> repeat(size_t(w.dim()), 1);
        repeat[0] = nc;
        auto grads = std::get<1>(at::convolution_backward(fold(g.narrow(0, n0, nc)), fold(a.narrow(0, n0, nc)), w.repeat(repeat),
                                                           c10::nullopt, l.stride, l.padding, l.dilation, false, outputPadding,
                                                           l.groups * nc, {false, true, false}));
        auto shape = w.sizes().vec();
        shape.insert(shape.begin(), nc);
        scores += grads.view(shape).mul_(w.unsqueeze(0)).abs_().sum(0);
    }
    return scores;
}

// Per-weight values (output-major weight shape) averaged over each unit's weights.
torch::Tensor reduceToUnits(const torch::Tensor& perWeight, Granularity granularity) {
    switch (granularity) {
        case Granularity::Weight: return perWeight;
        case Granularity::Filter: return perWeight.flatten(1).mean(1);
        case Granularity::Kernel: return perWeight.dim() > 2 ? perWeight.flatten(2).mean(2) : perWeight;
    }
    return perWeight;
}

torch::Tensor actGradFilterScores(const LayerInfo& l, const torch::Tensor& y, const torch::Tensor& g) {
    if (l.isConv()) return (y * g).abs_().flatten(2).mean(2).sum(0);
    return (perImageRows(y) * perImageRows(g)).abs_().mean(1).sum(0);
}

// sum_n sum_p |w_t| |a_n(p + t)| |g_n(p)| / P: the batch weight gradient of |g| against |a|.
torch::Tensor actGradWeightScores(const LayerInfo& l, const torch::Tensor& w, const torch::Tensor& a, const torch::Tensor& g) {
    const int64_t positions = g[0][0].numel();
    if (!l.isConv()) {
        auto x = perImageRows(a).abs(), gr = perImageRows(g).abs();
        return w.abs() * torch::einsum("npo,npi->oi", {gr, x}) / double(x.size(1));
    }
    checkPadding(l);
    const std::vector<int64_t> outputPadding(l.stride.size(), 0);
    auto grad = std::get<1>(at::convolution_backward(g.abs(), a.abs(), w, c10::nullopt, l.stride, l.padding, l.dilation,
                                                      false, outputPadding, l.groups, {false, true, false}));
    return grad.mul_(w.abs()) / double(positions);
}

}  // namespace

torch::Tensor actGradScores(const LayerInfo& l, const torch::Tensor& weight, const torch::Tensor& a, const torch::Tensor& y,
                            const torch::Tensor& g, Granularity granularity) {
    torch::NoGradGuard noGrad;
    switch (granularity) {
        case Granularity::Kernel: return actGradKernelScores(l, weight, a, g);
        case Granularity::Filter: return actGradFilterScores(l, y.detach(), g);
        case Granularity::Weight: return actGradWeightScores(l, outputMajor(l, weight).detach(), a, g);
    }
    return {};
}

torch::Tensor snipScores(const LayerInfo& l, const torch::Tensor& weight, const torch::Tensor& a, const torch::Tensor& g,
                         Granularity granularity) {
    return reduceToUnits(snipWeightScores(l, weight, a, g), granularity);
}

torch::Tensor magnitudeScores(const LayerInfo& l, const torch::Tensor& weight, Granularity granularity) {
    torch::NoGradGuard noGrad;
    auto magnitude = outputMajor(l, weight).detach().abs();
    if (granularity == Granularity::Head) {
        const auto role = headRole(l, l.heads);
        TORCH_CHECK(role, "layer ", l.name, " has no attention heads");
        auto perSlice = *role == HeadRole::Merge ? magnitude.mean(0) : magnitude.mean(1);
        auto sums = torch::zeros({l.heads}, perSlice.options()).index_add_(0, headOfSlice(l, *role, l.heads), perSlice);
        return sums / double(perSlice.numel() / l.heads);
    }
    return reduceToUnits(magnitude, granularity);
}

std::vector<int64_t> unitShape(const LayerInfo& l, const torch::Tensor& weight, Granularity granularity) {
    auto shape = outputMajor(l, weight).sizes().vec();
    if (granularity == Granularity::Filter) return {shape[0]};
    if (granularity == Granularity::Kernel) return {shape[0], shape[1]};
    if (granularity == Granularity::Head) return {l.heads};
    return shape;
}

torch::Tensor unitsFromKernels(const torch::Tensor& kernels, const std::vector<int64_t>& shape, Granularity granularity) {
    if (granularity == Granularity::Filter) return kernels.any(1);
    if (granularity == Granularity::Kernel || shape.size() == 2) return kernels.clone();
    auto k = kernels;
    while (k.dim() < int64_t(shape.size())) k = k.unsqueeze(-1);
    return k.expand(shape).clone();
}

torch::Tensor kernelsFromUnits(const torch::Tensor& units, int64_t inPerGroup, Granularity granularity) {
    if (granularity == Granularity::Filter) return units.unsqueeze(1).expand({units.size(0), inPerGroup}).clone();
    if (granularity == Granularity::Kernel || units.dim() == 2) return units.clone();
    return units.flatten(2).any(2);
}

torch::Tensor unitMaskForWeight(const LayerInfo& l, const torch::Tensor& weight, const torch::Tensor& units) {
    auto m = units.to(weight.dtype());
    if (l.kind == LayerKind::TransposedLinear) return m.dim() == 1 ? m.unsqueeze(0) : m.t();
    while (m.dim() < weight.dim()) m = m.unsqueeze(-1);
    return m;
}

torch::Tensor unitMaskForWeight(const LayerInfo& l, const torch::Tensor& weight, const torch::Tensor& units,
                                Granularity granularity) {
    if (granularity == Granularity::Head) return headMaskForWeight(l, units.to(weight.dtype()));
    return unitMaskForWeight(l, weight, units);
}

}  // namespace cx::engine
