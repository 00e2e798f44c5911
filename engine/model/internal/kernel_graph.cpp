#include "engine/model/internal/kernel_graph.h"

namespace cx::engine {
namespace {

// The source channels that feed consumer input channel `ic` through segment `s`.
bool sourceOf(const InputSegment& s, int64_t ic, int64_t& channel) {
    if (s.mode == FlowMode::Dense) {
        if (s.channels >= 0 && (ic < s.channelOffset || ic >= s.channelOffset + s.channels)) return false;
        channel = -1;
        return true;
    }
    if (ic < s.channelOffset || ic >= s.channelOffset + s.channels) return false;
    const int64_t local = ic - s.channelOffset;
    const int64_t factor = s.mode == FlowMode::Expand && s.sourceChannels > 0 ? s.channels / s.sourceChannels : 1;
    channel = s.sourceOffset + local / factor;
    return true;
}

}  // namespace

// The source units that feed a kernel's input channel become needed.
void KernelGraph::markSources(const std::vector<Source>& sources, std::vector<std::vector<uint8_t>>& needed) {
    for (const Source& s : sources) {
        if (s.layer < 0) continue;
        auto& up = needed[size_t(s.layer)];
        if (s.channel < 0) std::fill(up.begin(), up.end(), 1);
        else up[size_t(s.channel)] = 1;
    }
}

KernelGraph::KernelGraph(const ModelSummary& summary) {
    for (const auto& info : summary.layers) {
        Layer l;
        l.out = info.outChannels;
        l.groups = info.isConv() ? std::max<int64_t>(1, info.groups) : 1;
        l.inChannels = info.inChannels;
        l.inPerGroup = info.inChannels / l.groups;
        l.sources.resize(size_t(info.inChannels));
        for (int64_t ic = 0; ic < info.inChannels; ++ic)
            for (const auto& s : info.inputs) {
                int64_t channel = 0;
                if (sourceOf(s, ic, channel)) l.sources[size_t(ic)].push_back({s.source, channel});
            }
        m_layers.push_back(std::move(l));
    }
}

KernelGrid KernelGraph::relevant(int targetLayer, const std::vector<int64_t>& targetRows) const {
    const size_t n = m_layers.size();
    KernelGrid grid(n);
    // needed[L][o]: output unit o of layer L feeds the target; all: every unit of L does.
    std::vector<std::vector<uint8_t>> needed(n);
    for (size_t l = 0; l < n; ++l) needed[l].assign(size_t(m_layers[l].out), 0);
    for (int64_t row : targetRows) needed[size_t(targetLayer)][size_t(row)] = 1;
    for (int l = targetLayer; l >= 0; --l) {
        const Layer& layer = m_layers[size_t(l)];
        for (int64_t o = 0; o < layer.out; ++o) {
            if (!needed[size_t(l)][size_t(o)]) continue;
            if (grid[size_t(l)].empty()) grid[size_t(l)].assign(size_t(layer.out * layer.inPerGroup), 0);
            for (int64_t i = 0; i < layer.inPerGroup; ++i) {
                grid[size_t(l)][size_t(o * layer.inPerGroup + i)] = 1;
                markSources(layer.sources[size_t(globalInput(layer, o, i))], needed);
            }
        }
    }
    return grid;
}

KernelGraph::Effective KernelGraph::effective(const KernelGrid& kept, int targetLayer,
                                              const std::vector<int64_t>& targetRows) const {
    const size_t n = m_layers.size();
    auto keptAt = [&](size_t l, int64_t k) { return !kept[l].empty() && kept[l][size_t(k)]; };
    // Forward: which output units carry signal from the input through kept kernels.
    std::vector<std::vector<uint8_t>> live(n);
    auto sourceLive = [&](const Source& s) {
        if (s.layer < 0) return true;
        const auto& up = live[size_t(s.layer)];
        if (s.channel >= 0) return up[size_t(s.channel)] != 0;
        for (auto v : up)
            if (v) return true;
        return false;
    };
    auto kernelLive = [&](const Layer& layer, int64_t o, int64_t i) {
        for (const Source& s : layer.sources[size_t(globalInput(layer, o, i))])
            if (sourceLive(s)) return true;
        return false;
    };
    for (size_t l = 0; l < n && int(l) <= targetLayer; ++l) {
        const Layer& layer = m_layers[l];
        live[l].assign(size_t(layer.out), 0);
        for (int64_t o = 0; o < layer.out; ++o)
            for (int64_t i = 0; i < layer.inPerGroup && !live[l][size_t(o)]; ++i)
                if (keptAt(l, o * layer.inPerGroup + i) && kernelLive(layer, o, i)) live[l][size_t(o)] = 1;
    }
    for (size_t l = size_t(targetLayer) + 1; l < n; ++l) live[l].assign(size_t(m_layers[l].out), 0);
    // Backward: keep live kernels whose output unit feeds a target row.
    Effective result;
    result.kernels.assign(n, {});
    std::vector<std::vector<uint8_t>> needed(n);
    for (size_t l = 0; l < n; ++l) needed[l].assign(size_t(m_layers[l].out), 0);
    result.disconnected = true;
    for (int64_t row : targetRows) {
        needed[size_t(targetLayer)][size_t(row)] = 1;
        if (live[size_t(targetLayer)][size_t(row)]) result.disconnected = false;
    }
    for (int l = targetLayer; l >= 0; --l) {
        const Layer& layer = m_layers[size_t(l)];
        for (int64_t o = 0; o < layer.out; ++o) {
            if (!needed[size_t(l)][size_t(o)] || !live[size_t(l)][size_t(o)]) continue;
            for (int64_t i = 0; i < layer.inPerGroup; ++i) {
                const int64_t k = o * layer.inPerGroup + i;
                if (!keptAt(size_t(l), k) || !kernelLive(layer, o, i)) continue;
                if (result.kernels[size_t(l)].empty()) result.kernels[size_t(l)].assign(size_t(gridSize(l)), 0);
                result.kernels[size_t(l)][size_t(k)] = 1;
                markSources(layer.sources[size_t(globalInput(layer, o, i))], needed);
            }
        }
    }
    return result;
}

}  // namespace cx::engine
