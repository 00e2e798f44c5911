#pragma once
// Probed, truncated forward passes with substituted parameters: the mechanism under every
// score, mask and preservation computation. The user's module is never modified: the plan
// runs a rewritten copy of its inlined graph, where chosen parameters become graph inputs.
#include <memory>
#include <string>
#include <vector>

#include <torch/script.h>

#include "engine/core/error.h"
#include "engine/model/model.h"

namespace torch::jit {
struct GraphFunction;
}

namespace cx::engine {

enum class ProbeSide { Input, Output };

/// A value to return from a forward pass: the input or output of layer `layer`.
struct Probe {
    int layer = 0;
    ProbeSide side = ProbeSide::Output;
};

struct PlanOutputs {
    std::vector<torch::Tensor> probes;  // one per requested probe, in order
    c10::IValue modelOutput;            // set only when the plan keeps the model output
};

/// One compiled forward pass. Build once, run many times (from one thread at a time).
class ForwardPlan {
public:
    /// `probes`: values to return. `keepModelOutput`: also compute the model's output;
    /// otherwise everything after the last probe is removed from the graph.
    /// `overrideParams`: parameter paths whose tensors are passed to run() instead of read
    /// from the model (a masked or differentiable weight). `device`: "cpu" or "cuda".
    static Result<ForwardPlan> build(const Model& model, const std::vector<Probe>& probes, bool keepModelOutput,
                                     const std::vector<std::string>& overrideParams = {},
                                     const std::string& device = "cpu");

    /// Runs the plan; `overrides` parallel to the plan's overrideParams. Throws c10::Error
    /// (callers are inside a guarded job boundary).
    PlanOutputs run(const std::vector<c10::IValue>& inputs, const std::vector<torch::Tensor>& overrides = {}) const;

    /// Nodes left in the rewritten graph (truncation shows as fewer nodes).
    size_t nodeCount() const;
    const std::vector<std::string>& overrideParams() const { return m_overrideParams; }

private:
    std::shared_ptr<torch::jit::GraphFunction> m_function;
    c10::IValue m_self;
    std::vector<std::string> m_overrideParams;
    size_t m_probeCount = 0;
    int64_t m_inputRank = 0;  // ModelSummary::inputRank
    bool m_keepModelOutput = false;
};

/// The module on a device: the loaded one for "cpu", a cached deep copy elsewhere.
torch::jit::Module moduleOn(const Model& model, const std::string& device);

/// A parameter of the module on a device (the copy moduleOn makes; no copy per call).
torch::Tensor paramOn(const Model& model, const std::string& path, const torch::Device& device);

/// A weight with a unit mask applied: `mask` has the shape of the weight (weight level), its
/// first two dimensions (O x I kernels), or its first dimension (O filters / neurons).
torch::Tensor applyUnitMask(const torch::Tensor& weight, const torch::Tensor& mask);

}  // namespace cx::engine
