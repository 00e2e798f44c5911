#include "engine/masks/internal/ablation.h"

#include <cmath>

#include "engine/model/internal/heads.h"
#include "engine/model/internal/model_impl.h"

namespace cx::engine {

std::string complementTooSmall(const Model& model, const std::map<int, torch::Tensor>& masks) {
    for (const auto& [l, m] : masks) {
        const int64_t kept = m.to(torch::kBool).sum().item<int64_t>(), total = m.numel();
        if (kept > total - kept)
            return "layer " + model.summary().layers[size_t(l)].name + ": the subnetwork keeps " + std::to_string(kept) +
                   " of its " + std::to_string(total) + " units, so a random set of the same size cannot be drawn from the " +
                   std::to_string(total - kept) + " it leaves out (randomly_sampled needs a subnetwork of at most half of each layer)";
    }
    return {};
}

std::map<int, torch::Tensor> sampleFromComplement(const std::map<int, torch::Tensor>& masks, at::Generator& generator) {
    std::map<int, torch::Tensor> out;
    for (const auto& [l, m] : masks) {
        auto flat = m.flatten().to(torch::kBool);
        auto complement = (~flat).nonzero().flatten();
        // Exactly as many as the subnetwork has: fewer would favour the control.
        const int64_t count = flat.sum().item<int64_t>();
        TORCH_CHECK(count <= complement.numel(), "the subnetwork keeps more than half of a layer: no same-size random set");
        auto pick = complement.index_select(0, torch::randperm(complement.numel(), generator, torch::kInt64).narrow(0, 0, count));
        out[l] = torch::zeros_like(flat).index_fill_(0, pick, true).view(m.sizes());
    }
    return out;
}

namespace {

// One tensor under an ablation; `keep` is 1 on the subnetwork (or on the drawn units).
torch::Tensor ablate(const torch::Tensor& value, const torch::Tensor& keep, Ablation ablation, double bound,
                     at::Generator& generator) {
    switch (ablation) {
        case Ablation::None: return value * keep;
        case Ablation::ZeroAblate:
        case Ablation::RandomlySampled: return value * (1 - keep);
        case Ablation::RandomAblate: {
            auto fresh = at::empty(value.sizes(), value.options()).uniform_(-bound, bound, generator);
            return value * (1 - keep) + fresh * keep;
        }
    }
    return value;
}

// The layers of one attention block take the first layer's head mask (one draw per block).
void shareHeadsPerBlock(const Model& model, std::map<int, torch::Tensor>& masks) {
    std::map<std::string, torch::Tensor> first;
    for (auto& [l, m] : masks) {
        auto [it, fresh] = first.emplace(attentionGroup(model.summary().layers[size_t(l)]), m);
        if (!fresh) m = it->second;
    }
}

}  // namespace

MaskedWeights ablatedWeights(const Model& model, const std::map<int, torch::Tensor>& masks, Ablation ablation,
                             at::Generator& generator, MaskScheme scheme) {
    MaskedWeights out;
    auto removed = ablation == Ablation::RandomlySampled ? sampleFromComplement(masks, generator) : masks;
    if (scheme.granularity == Granularity::Head) shareHeadsPerBlock(model, removed);
    for (const auto& [l, mask] : removed) {
        const auto& info = model.summary().layers[size_t(l)];
        const auto& w = model.impl().param(info.param);
        // PyTorch's default initialisation bound for the layer's kind: 1 / sqrt(fan_in).
        const double bound = 1.0 / std::sqrt(double(info.inChannels / std::max<int64_t>(1, info.groups)) *
                                             double(info.isConv() ? w[0][0].numel() : 1));
        out.params.push_back(info.param);
        out.tensors.push_back(ablate(w, unitMaskForWeight(info, w, mask.to(torch::kBool), scheme.granularity), ablation, bound, generator));
        if (auto b = biasMaskFor(info, mask, scheme); b.defined()) {
            out.params.push_back(info.biasParam);
            out.tensors.push_back(ablate(model.impl().param(info.biasParam), b, ablation, bound, generator));
        }
    }
    return out;
}

std::map<int, torch::Tensor> magnitudeMasks(const Model& model, const std::vector<int>& layers, double keep,
                                            Granularity granularity, bool global) {
    std::map<int, torch::Tensor> scores, out;
    for (int l : layers) {
        const auto& info = model.summary().layers[size_t(l)];
        scores[l] = magnitudeScores(info, model.impl().param(info.param), granularity);
    }
    if (granularity == Granularity::Head) {  // a head's score: its mean over the block's layers
        std::map<std::string, std::vector<int>> blocks;
        for (const auto& [l, sc] : scores) blocks[attentionGroup(model.summary().layers[size_t(l)])].push_back(l);
        for (const auto& [name, members] : blocks) {
            auto mean = torch::zeros_like(scores[members[0]]);
            for (int l : members) mean += scores[l] / double(members.size());
            for (int l : members) scores[l] = mean;
        }
    }
    auto topFlags = [](const torch::Tensor& values, double fraction) {
        const int64_t k = std::max<int64_t>(1, std::llround(fraction * double(values.numel())));
        auto order = std::get<1>(values.sort(true, 0, true));
        return torch::zeros({values.numel()}, torch::kBool).index_fill_(0, order.narrow(0, 0, k), true);
    };
    if (!global) {
        for (const auto& [l, s] : scores) out[l] = topFlags(s.flatten(), keep).view(s.sizes());
        return out;
    }
    std::vector<torch::Tensor> flat;
    for (const auto& [l, s] : scores) flat.push_back(s.flatten());
    auto flags = topFlags(torch::cat(flat), keep);
    int64_t offset = 0;
    for (const auto& [l, s] : scores) {
        out[l] = flags.narrow(0, offset, s.numel()).view(s.sizes()).clone();
        offset += s.numel();
    }
    return out;
}

}  // namespace cx::engine
