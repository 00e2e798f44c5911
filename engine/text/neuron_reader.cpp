#include "engine/text/neuron_reader.h"

#include <map>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/text/internal/neuron_reader_impl.h"

namespace cx::engine {
namespace {

constexpr size_t kBatch = 64;

}  // namespace

torch::Tensor NeuronReader::Impl::values(const torch::Tensor& ids) const {
    const int64_t n = ids.size(0), t = ids.size(1);
    auto y = plan->run({ids.to(torch::Device(device))}, overrides.tensors).probes[0];
    // N x T x D, or (N T) x D where the layer ran on flattened positions (GPT-2's Conv1D: addmm).
    if (y.dim() == 2 && y.size(0) == n * t) y = y.view({n, t, y.size(1)});
    TORCH_CHECK(y.dim() == 3 && y.size(0) == n && y.size(1) == t, layer, "'s output is ", y.sizes(),
                " on ", n, " x ", t, " tokens: not one vector of units per position");
    return y.index_select(2, which).to(torch::kFloat32).cpu();
}

Result<NeuronReader> NeuronReader::open(Workspace& workspace, const MaskHandle& mask, const std::string& layer,
                                        std::vector<int64_t> units) {
    initRuntime();
    const Model& model = *workspace.model();
    const auto& summary = model.summary();
    const int index = summary.indexOf(layer);
    if (index < 0) return invalidInput("the model has no layer '" + layer + "'");
    const LayerInfo& info = summary.layers[size_t(index)];
    if (summary.inputRank != 0 && summary.inputRank != 2)
        return invalidInput("the model reads inputs of rank " + std::to_string(summary.inputRank) +
                            ", not token ids (N x T): neurons of language models need a token model");
    if (info.kind != LayerKind::Linear && info.kind != LayerKind::TransposedLinear)
        return invalidInput(layer + " is not a linear layer: a token model's neurons are units of a linear layer's output");
    if (units.empty())
        for (int64_t u = 0; u < info.outChannels; ++u) units.push_back(u);
    for (int64_t u : units)
        if (u < 0 || u >= info.outChannels)
            return invalidInput("unit " + std::to_string(u) + " is outside " + layer + "'s 0.." + std::to_string(info.outChannels - 1));
    return guarded<NeuronReader>("reading " + layer, [&]() -> Result<NeuronReader> {
        auto impl = std::make_shared<Impl>();
        impl->layer = layer;
        impl->units = units;
        impl->device = defaultDevice();
        auto circuit = overridesOf(model, mask, impl->device);
        if (!circuit) return circuit.error();
        impl->overrides = circuit.take();
        auto plan = ForwardPlan::build(model, {{index, ProbeSide::Output}}, false, impl->overrides.params, impl->device);
        if (!plan) return plan.error();
        impl->plan = std::make_shared<ForwardPlan>(plan.take());
        impl->which = torch::tensor(units).to(torch::Device(impl->device));
        return NeuronReader(impl);
    });
}

const std::string& NeuronReader::layer() const { return m_impl->layer; }
const std::vector<int64_t>& NeuronReader::units() const { return m_impl->units; }

Result<std::vector<std::vector<double>>> NeuronReader::unitValues(const std::vector<std::vector<int64_t>>& sequences,
                                                                   size_t unitIndex) const {
    if (unitIndex >= m_impl->units.size()) return invalidInput("no unit " + std::to_string(unitIndex) + " in this reader");
    for (const auto& s : sequences)
        if (s.empty()) return invalidInput("an empty token sequence");
    return guarded<std::vector<std::vector<double>>>("reading " + m_impl->layer, [&]() -> Result<std::vector<std::vector<double>>> {
        torch::NoGradGuard noGrad;
        std::map<size_t, std::vector<size_t>> byLength;
        for (size_t i = 0; i < sequences.size(); ++i) byLength[sequences[i].size()].push_back(i);
        std::vector<std::vector<double>> out(sequences.size());
        for (const auto& [length, members] : byLength)
            for (size_t from = 0; from < members.size(); from += kBatch) {
                const size_t n = std::min(kBatch, members.size() - from);
                auto ids = torch::empty({int64_t(n), int64_t(length)}, torch::kInt64);
                auto a = ids.accessor<int64_t, 2>();
                for (size_t r = 0; r < n; ++r)
                    for (size_t t = 0; t < length; ++t) a[long(r)][long(t)] = sequences[members[from + r]][t];
                const auto v = m_impl->values(ids).select(2, int64_t(unitIndex)).to(torch::kFloat64).contiguous();
                const auto va = v.accessor<double, 2>();
                for (size_t r = 0; r < n; ++r) {
                    auto& dst = out[members[from + r]];
                    for (size_t t = 0; t < length; ++t) dst.push_back(va[long(r)][long(t)]);
                }
            }
        return out;
    });
}

}  // namespace cx::engine
