#include "engine/equiv/circuit_units.h"

#include <map>

#include "engine/core/internal/guard.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/saliency.h"

namespace cx::engine {
namespace {

// Per input index of the layer, the channel of its one source; empty when the inputs do not come
// from one source channel by channel (a mixing op, two sources, an unknown span).
std::vector<int64_t> sourceChannels(const LayerInfo& info, int& source) {
    std::vector<int64_t> out(size_t(info.inChannels), -1);
    source = -2;
    for (const auto& s : info.inputs) {
        if (s.mode == FlowMode::Dense || s.channels < 0 || s.sourceChannels < 0) return {};
        if (source != -2 && s.source != source) return {};
        source = s.source;
        const int64_t factor = s.mode == FlowMode::Expand && s.sourceChannels > 0 ? s.channels / s.sourceChannels : 1;
        for (int64_t j = 0; j < s.channels; ++j) {
            const int64_t at = s.channelOffset + j;
            if (at < 0 || at >= info.inChannels) return {};
            out[size_t(at)] = s.sourceOffset + j / factor;
        }
    }
    for (int64_t c : out)
        if (c < 0) return {};
    return out;
}

}  // namespace

Result<LayerUnits> circuitUnits(Workspace& workspace, const MaskHandle& mask, const std::string& layer) {
    const auto& model = *workspace.model();
    const int index = model.summary().indexOf(layer);
    if (index < 0) return invalidInput("the model has no layer '" + layer + "'");
    const LayerInfo& info = model.summary().layers[size_t(index)];
    if (!info.normWeightParam.empty())
        return invalidInput("a batch-norm follows " + layer + ": its running statistics move every unit's threshold, which signatures do not follow yet");
    return guarded<LayerUnits>("layer units", [&]() -> Result<LayerUnits> {
        torch::NoGradGuard noGrad;
        torch::Tensor w = model.impl().param(info.param).detach().to(torch::kCPU, torch::kFloat64);
        if (mask) {
            const auto it = mask->data.masks.find(index);
            if (it == mask->data.masks.end()) {
                w = torch::zeros_like(w);  // the circuit keeps nothing of this layer
            } else {
                w = w * unitMaskForWeight(info, w, it->second.to(torch::kCPU), mask->data.granularity).to(torch::kFloat64);
            }
        }
        // out x in, each input's weight (a convolution's kernel summed over its taps).
        torch::Tensor grid = info.kind == LayerKind::TransposedLinear ? w.t().contiguous() : w;
        const int64_t outs = info.outChannels, perGroup = info.isConv() ? w.size(1) : info.inChannels;
        if (info.isConv()) grid = grid.flatten(2).sum(2);  // O x Ipg
        torch::Tensor kept = info.isConv() && mask ? (w.flatten(2) != 0).any(2) : (grid != 0);
        torch::Tensor bias = info.hasBias() ? model.impl().param(info.biasParam).detach().to(torch::kCPU, torch::kFloat64)
                                            : torch::zeros({outs}, torch::kFloat64);
        LayerUnits out;
        out.layer = layer;
        out.outChannels = outs;
        const auto channels = sourceChannels(info, out.source);
        out.note = channels.empty() ? "inputs named by " + layer + "'s own input index (they do not come channel by channel from one layer)"
                                    : "inputs named by the channels of " + model.summary().sourceName(out.source);
        if (channels.empty()) out.source = -2;
        const auto g = grid.accessor<double, 2>();
        const auto k = kept.accessor<bool, 2>();
        const auto b = bias.accessor<double, 1>();
        const int64_t outsPerGroup = outs / std::max<int64_t>(info.groups, 1);
        for (int64_t o = 0; o < outs; ++o) {
            std::map<int64_t, double> byInput;  // channels of a flattened input add up
            for (int64_t i = 0; i < perGroup; ++i) {
                if (!k[o][i]) continue;
                const int64_t at = (info.isConv() ? (o / outsPerGroup) * perGroup : 0) + i;
                byInput[channels.empty() ? at : channels[size_t(at)]] += g[o][i];
            }
            if (byInput.empty()) continue;
            ThresholdUnit u{layer + ":" + std::to_string(o), o, {}, {}, b[o]};
            for (const auto& [id, weight] : byInput) {
                u.inputs.push_back(id);
                u.weights.push_back(weight);
            }
            out.units.push_back(std::move(u));
        }
        return out;
    });
}

}  // namespace cx::engine
