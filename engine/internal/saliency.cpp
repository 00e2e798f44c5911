#include "engine/internal/saliency.h"

namespace cx::engine {
namespace {

// Linear layers: positions (sequence, ...) flattened, P x features per image.
torch::Tensor perImageRows(const torch::Tensor& t) {
    return t.dim() == 2 ? t.unsqueeze(1) : t.reshape({t.size(0), -1, t.size(-1)});
}

int64_t chunkFor(int64_t perUnit, int64_t total) {
    return std::max<int64_t>(1, std::min<int64_t>(total, kScoreChunkElements / std::max<int64_t>(1, perUnit)));
}

torch::Tensor convSingleKernelMaps(const LayerInfo& l, const torch::Tensor& a, const torch::Tensor& w) {
    // Channel i*c + j of the result is W_{j,i} * a_i: a grouped convolution with one group per input channel.
    const int64_t c = w.size(0), ipg = w.size(1);
    std::vector<int64_t> shape = {ipg * c, 1};
    for (int64_t d = 2; d < w.dim(); ++d) shape.push_back(w.size(d));
    auto dissected = w.transpose(0, 1).reshape(shape);
    if (l.kind == LayerKind::Conv1d)
        return torch::conv1d(a, dissected, {}, l.stride, l.padding, l.dilation, ipg);
    return torch::conv2d(a, dissected, {}, l.stride, l.padding, l.dilation, ipg);
}

// Per-image weight gradients of a conv layer for a chunk: N x c x (Ipg * taps).
torch::Tensor convPerImageGrad(const LayerInfo& l, const torch::Tensor& a, const torch::Tensor& g,
                               const std::vector<int64_t>& kernel) {
    torch::Tensor cols;
    if (l.kind == LayerKind::Conv1d) {
        cols = torch::nn::functional::unfold(
            a.unsqueeze(2), torch::nn::functional::UnfoldFuncOptions({1, kernel[0]})
                                .dilation({1, l.dilation[0]}).padding({0, l.padding[0]}).stride({1, l.stride[0]}));
    } else {
        cols = torch::nn::functional::unfold(
            a, torch::nn::functional::UnfoldFuncOptions({kernel[0], kernel[1]})
                   .dilation({l.dilation[0], l.dilation[1]}).padding({l.padding[0], l.padding[1]})
                   .stride({l.stride[0], l.stride[1]}));
    }
    return torch::bmm(g.flatten(2), cols.transpose(1, 2));
}

}  // namespace

torch::Tensor outputMajor(const LayerInfo& layer, const torch::Tensor& weight) {
    return layer.kind == LayerKind::TransposedLinear ? weight.t() : weight;
}

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
    const int64_t groups = l.groups, opg = out / groups;
    const int64_t positions = g[0][0].numel();
    const int64_t images = a.size(0);
    for (int64_t gr = 0; gr < groups; ++gr) {
        auto ag = a.narrow(1, gr * ipg, ipg);
        // Bound N_chunk x Ipg x c x positions.
        const int64_t perImage = ipg * positions;
        const int64_t imageChunk = chunkFor(perImage, images);
        const int64_t outChunk = chunkFor(imageChunk * perImage, opg);
        for (int64_t n0 = 0; n0 < images; n0 += imageChunk) {
            const int64_t nc = std::min(imageChunk, images - n0);
            auto an = ag.narrow(0, n0, nc);
            for (int64_t o0 = 0; o0 < opg; o0 += outChunk) {
                const int64_t c = std::min(outChunk, opg - o0), first = gr * opg + o0;
                auto z = convSingleKernelMaps(l, an, w.narrow(0, first, c));
                auto zg = z.view({nc, ipg, c, -1}) * g.narrow(0, n0, nc).narrow(1, first, c).flatten(2).unsqueeze(1);
                scores.narrow(0, first, c) += zg.abs().mean(3).sum(0).t();
            }
        }
    }
    return scores;
}

torch::Tensor snipKernelScores(const LayerInfo& l, const torch::Tensor& weight, const torch::Tensor& a,
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
    std::vector<int64_t> kernel(w.sizes().begin() + 2, w.sizes().end());
    const int64_t taps = w[0][0].numel();
    auto scores = torch::zeros({out, ipg}, w.options());
    const int64_t groups = l.groups, opg = out / groups;
    for (int64_t gr = 0; gr < groups; ++gr) {
        auto ag = a.narrow(1, gr * ipg, ipg);
        auto wg = w.narrow(0, gr * opg, opg).reshape({1, opg, ipg * taps});
        const int64_t columns = ipg * taps * std::max<int64_t>(g[0][0].numel(), opg);
        const int64_t chunk = chunkFor(columns, images);
        for (int64_t n0 = 0; n0 < images; n0 += chunk) {
            const int64_t nc = std::min(chunk, images - n0);
            auto grads = convPerImageGrad(l, ag.narrow(0, n0, nc), g.narrow(0, n0, nc).narrow(1, gr * opg, opg), kernel);
            scores.narrow(0, gr * opg, opg) += (grads * wg).abs().view({nc, opg, ipg, taps}).mean(3).sum(0);
        }
    }
    return scores;
}

torch::Tensor magnitudeKernelScores(const LayerInfo& l, const torch::Tensor& weight) {
    torch::NoGradGuard noGrad;
    auto w = outputMajor(l, weight).detach().abs();
    return w.dim() > 2 ? w.flatten(2).mean(2) : w;
}

}  // namespace cx::engine
