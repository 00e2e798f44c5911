#include "engine/model/internal/forward_plan.h"

#include "engine/core/internal/cancel_points.h"

#include <unordered_map>

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include "engine/core/internal/guard.h"
#include "engine/model/internal/graph_layers.h"
#include "engine/model/internal/model_impl.h"

namespace cx::engine {
namespace {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

bool hasInPlaceUser(const Value* v) {
    for (const auto& use : v->uses()) {
        const std::string name = use.user->kind().toQualString();
        if (name.rfind("aten::", 0) == 0 && name.back() == '_') return true;
    }
    return false;
}

// A later in-place op (e.g. relu_ in the untaken branch of scripted F.relu) would change the
// probed tensor after the fact. Give every later user a copy instead and return the original:
// it keeps its place in the autograd graph, so gradients at the probe stay exact.
Value* stableProbe(Graph& g, Value* v) {
    if (!hasInPlaceUser(v)) return v;
    Node* after = v->node()->kind() == c10::prim::Param ? *g.block()->nodes().begin() : v->node()->next();
    torch::jit::WithInsertPoint guard(after);
    Value* copy = g.insert(c10::aten::clone, {v});
    v->replaceAllUsesWith(copy);
    copy->node()->replaceInput(0, v);
    return v;
}

void substituteParams(Graph& g, const std::vector<std::string>& paths) {
    std::unordered_map<std::string, Value*> inputs;
    for (const auto& path : paths) {
        Value* in = g.addInput("override_" + std::to_string(inputs.size()));
        in->setType(c10::TensorType::get());
        inputs[path] = in;
    }
    std::vector<std::pair<Value*, Value*>> replacements;
    for (Node* node : flattenNodes(g.block())) {
        if (node->kind() != c10::prim::GetAttr) continue;
        auto it = inputs.find(attributePath(node->output()));
        if (it != inputs.end()) replacements.emplace_back(node->output(), it->second);
    }
    for (auto& [from, to] : replacements) from->replaceAllUsesWith(to);
}

// "cuda" and "cuda:0" (a tensor's device) are one copy.
std::string deviceKey(const torch::Device& device) {
    if (device.is_cuda()) return "cuda:" + std::to_string(device.has_index() ? device.index() : 0);
    return device.str();
}

}  // namespace

torch::jit::Module moduleOn(const Model& model, const std::string& deviceName) {
    auto& impl = model.impl();
    const torch::Device device(deviceName);
    if (device.is_cpu()) return impl.module;
    const std::string key = deviceKey(device);
    std::lock_guard<std::mutex> lock(impl.deviceMutex);
    auto it = impl.deviceCopies.find(key);
    if (it == impl.deviceCopies.end()) {
        auto copy = impl.module.deepcopy();
        copy.to(device);
        auto& params = impl.deviceParams[key];
        for (const auto& p : copy.named_parameters(true)) params[p.name] = p.value;
        it = impl.deviceCopies.emplace(key, copy).first;
    }
    return it->second;
}

torch::Tensor paramOn(const Model& model, const std::string& path, const torch::Device& device) {
    auto& impl = model.impl();
    if (device.is_cpu()) return impl.param(path);
    moduleOn(model, device.str());
    const std::string key = deviceKey(device);
    std::lock_guard<std::mutex> lock(impl.deviceMutex);
    const auto& params = impl.deviceParams.at(key);
    auto it = params.find(path);
    TORCH_CHECK(it != params.end(), "no parameter named ", path, " in the model's copy on ", key);
    return it->second;
}

Result<ForwardPlan> ForwardPlan::build(const Model& model, const std::vector<Probe>& probes, bool keepModelOutput,
                                       const std::vector<std::string>& overrideParams, const std::string& device) {
    const auto& impl = model.impl();
    const auto& layers = impl.summary.layers;
    for (const auto& p : overrideParams)
        if (!impl.params.count(p)) return invalidInput("no parameter named " + p + " in the model");
    for (const auto& probe : probes) {
        if (probe.layer < 0 || probe.layer >= static_cast<int>(layers.size()))
            return invalidInput("no layer #" + std::to_string(probe.layer) + " in the model");
        if (layers[static_cast<size_t>(probe.layer)].inControlFlow)
            return invalidInput("layer " + layers[static_cast<size_t>(probe.layer)].name +
                                " is inside control flow (if/loop) and cannot be probed");
    }
    return guarded<ForwardPlan>("cannot prepare the forward pass", [&]() -> Result<ForwardPlan> {
        auto g = impl.graph->copy();
        const auto original = flattenNodes(impl.graph->block());
        const auto copied = flattenNodes(g->block());
        std::unordered_map<const Node*, Node*> map;
        for (size_t i = 0; i < original.size(); ++i) map[original[i]] = copied[i];

        std::vector<Value*> outputs;
        for (const auto& probe : probes) {
            Node* node = map.at(impl.layerNodes[static_cast<size_t>(probe.layer)]);
            Value* v = probe.side == ProbeSide::Input ? layerDataInput(node) : node->output();
            outputs.push_back(stableProbe(*g, v));
        }
        if (keepModelOutput) outputs.push_back(g->outputs()[0]);
        substituteParams(*g, overrideParams);
        Node* tuple = g->insertNode(g->createTuple(outputs));
        while (!g->outputs().empty()) g->eraseOutput(0);
        g->registerOutput(tuple->output());
        torch::jit::EliminateDeadCode(g);
        addCancelPoints(*g);

        ForwardPlan plan;
        plan.m_function = std::make_shared<torch::jit::GraphFunction>(
            "cx_probe", g, nullptr, torch::jit::ExecutorExecutionMode::SIMPLE);
        plan.m_self = moduleOn(model, device)._ivalue();
        plan.m_overrideParams = overrideParams;
        plan.m_probeCount = probes.size();
        plan.m_inputRank = impl.summary.inputRank;
        plan.m_keepModelOutput = keepModelOutput;
        return plan;
    });
}

PlanOutputs ForwardPlan::run(const std::vector<c10::IValue>& inputs, const std::vector<torch::Tensor>& overrides) const {
    TORCH_CHECK(overrides.size() == m_overrideParams.size(), "expected ", m_overrideParams.size(),
                " override tensors, got ", overrides.size());
    // A graph specialised on its input's rank computes something else for another rank.
    TORCH_CHECK(m_inputRank == 0 || inputs.empty() || !inputs[0].isTensor() || inputs[0].toTensor().dim() == m_inputRank,
                "the model was specialised for inputs of rank ", m_inputRank, ", got rank ",
                inputs.empty() || !inputs[0].isTensor() ? 0 : inputs[0].toTensor().dim());
    torch::jit::Stack stack;
    stack.reserve(1 + inputs.size() + overrides.size());
    stack.emplace_back(m_self);
    for (const auto& in : inputs) stack.push_back(in);
    for (const auto& t : overrides) stack.emplace_back(t);
    m_function->run(stack);
    auto elements = stack.back().toTupleRef().elements();
    PlanOutputs out;
    for (size_t i = 0; i < m_probeCount; ++i) out.probes.push_back(elements[i].toTensor());
    if (m_keepModelOutput) out.modelOutput = elements[m_probeCount];
    return out;
}

size_t ForwardPlan::nodeCount() const { return flattenNodes(m_function->graph()->block()).size(); }

torch::Tensor applyUnitMask(const torch::Tensor& weight, const torch::Tensor& mask) {
    auto m = mask.to(weight.dtype());
    while (m.dim() < weight.dim()) m = m.unsqueeze(-1);
    return weight * m;
}

}  // namespace cx::engine
