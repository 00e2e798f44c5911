#include "engine/model/model.h"

#include "engine/io/file_read.h"

#include <atomic>
#include <filesystem>
#include <fstream>

#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/passes/remove_mutation.h>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/io/internal/archive_check.h"
#include "engine/io/sha256.h"
#include "engine/model/internal/channel_flow.h"
#include "engine/model/internal/fused_attention.h"
#include "engine/model/internal/graph_layers.h"
#include "engine/model/internal/graph_specialise.h"
#include "engine/model/internal/receptive_field.h"
#include "engine/model/internal/heads.h"
#include "engine/model/internal/model_impl.h"

namespace cx::engine {

std::vector<torch::jit::Node*> flattenNodes(torch::jit::Block* block) {
    std::vector<torch::jit::Node*> out;
    for (torch::jit::Node* node : block->nodes()) {
        out.push_back(node);
        for (torch::jit::Block* sub : node->blocks()) {
            auto inner = flattenNodes(sub);
            out.insert(out.end(), inner.begin(), inner.end());
        }
    }
    return out;
}

std::string attributePath(const torch::jit::Value* value) {
    const torch::jit::Node* node = value->node();
    if (node->kind() == c10::prim::Param) return {};
    if (node->kind() != c10::prim::GetAttr) return {};
    const std::string name = node->s(torch::jit::attr::name);
    const torch::jit::Value* parent = node->input(0);
    if (parent->node()->kind() == c10::prim::Param) return parent->offset() == 0 ? name : std::string{};
    std::string prefix = attributePath(parent);
    return prefix.empty() ? std::string{} : prefix + "." + name;
}

std::vector<torch::jit::Node*> Model::Impl::nodeOrder() const { return flattenNodes(graph->block()); }

const torch::Tensor& Model::Impl::param(const std::string& path) const { return params.at(path); }

Model::Model(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Model::~Model() = default;

const ModelSummary& Model::summary() const { return m_impl->summary; }

namespace {

Status checkReadable(const std::string& path) {
    if (auto st = checkInputFile(path, "model file"); !st) return st.error();
    std::ifstream in(path, std::ios::binary);
    char magic[2] = {0, 0};
    in.read(magic, 2);
    if (!in) return invalidInput("model file is empty or unreadable: " + path);
    // TorchScript archives are zip files.
    if (magic[0] != 'P' || magic[1] != 'K')
        return invalidInput("not a TorchScript model (expected a file saved with torch.jit.save): " + path);
    return Done{};
}

// Layers inside a module with an integer `num_heads` attribute are that block's projections.
void markAttentionHeads(const torch::jit::Module& module, std::vector<LayerInfo>& layers) {
    for (const auto& child : module.named_modules()) {
        if (child.name.empty() || !child.value.hasattr("num_heads")) continue;
        const auto value = child.value.attr("num_heads");
        if (!value.isInt() || value.toInt() < 1) continue;
        for (auto& l : layers)
            if (l.param.rfind(child.name + ".", 0) == 0 && headRole(l, value.toInt())) {
                l.heads = value.toInt();
                l.attention = child.name;
            }
    }
}

std::unique_ptr<Model::Impl> analyse(torch::jit::Module module, const std::string& path) {
    auto impl = std::make_unique<Model::Impl>();
    module.eval();
    impl->module = module;
    // The model is frozen: gradients flow only into tensors a job passes in (masks, copies).
    for (const auto& p : module.named_parameters(true)) {
        p.value.set_requires_grad(false);
        impl->params[p.name] = p.value;
    }
    impl->graph = module.get_method("forward").graph()->copy();
    torch::jit::Inline(*impl->graph);
    ModelSummary& summary = impl->summary;
    // A scripted model keeps branches on its own settings (if self.use_res_connect): fold them
    // so that the layers and channels analysed are those that run.
    std::map<std::string, AttentionHeads> rewrittenHeads;
    decomposeFusedAttention(*impl->graph, rewrittenHeads, summary.notes);
    specialiseGraph(module, impl->graph, summary.notes, summary.inputRank);
    // In-place activations (ReLU(inplace=True)) would overwrite probed values.
    torch::jit::RemoveTensorMutation(impl->graph);

    summary.path = path;
    for (const auto& p : impl->params) summary.parameterCount += p.second.numel();
    auto found = findLayers(impl->graph, impl->params, summary.notes);
    analyseChannelFlow(impl->graph, found, summary.notes);
    analyseReceptiveFields(impl->graph, found);
    for (auto& layer : found) {
        impl->layerNodes.push_back(layer.node);
        summary.layers.push_back(std::move(layer.info));
    }
    markAttentionHeads(module, summary.layers);
    for (auto& l : summary.layers)  // a traced model keeps no num_heads: the fused kernel said it
        if (auto it = rewrittenHeads.find(l.param); it != rewrittenHeads.end() && l.heads == 0 &&
                                                    headRole(l, it->second.heads)) {
            l.heads = it->second.heads;
            l.attention = it->second.block;
        }
    return impl;
}

std::atomic<int64_t> g_modelFileReads{0};

}  // namespace

int64_t modelFileReads() { return g_modelFileReads.load(); }

Result<std::shared_ptr<Model>> Model::load(const std::string& path) {
    initRuntime();
    if (auto readable = checkReadable(path); !readable) return readable.error();
    ++g_modelFileReads;
    auto loaded = guarded<std::shared_ptr<Model>>("cannot load model " + path, [&]() -> Result<std::shared_ptr<Model>> {
        auto loadedModule = loadCheckedArchive(path);
        if (!loadedModule) return loadedModule.error();
        auto module = loadedModule.take();
        if (!module.find_method("forward"))
            return invalidInput("the TorchScript model has no forward method: " + path);
        return std::make_shared<Model>(analyse(module, path));
    });
    if (!loaded) return loaded;
    auto model = loaded.value();
    if (model->summary().layers.empty())
        return invalidInput("the model has no convolution or linear layer to analyse: " + path);
    auto digest = sha256File(path);
    if (!digest) return digest.error();
    model->impl().summary.sha256 = digest.value();
    return model;
}

}  // namespace cx::engine
