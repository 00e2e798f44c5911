#include "engine/model/internal/script_modules.h"

#include <cmath>

namespace cx::engine {

torch::jit::Module scriptLinear(const std::string& name, int64_t in, int64_t out) {
    torch::jit::Module m("cx_demo." + name);
    const double bound = 1.0 / std::sqrt(double(in));
    m.register_parameter("weight", torch::empty({out, in}).uniform_(-bound, bound), false);
    m.register_parameter("bias", torch::empty({out}).uniform_(-bound, bound), false);
    m.define("def forward(self, x):\n    return torch.linear(x, self.weight, self.bias)\n");
    return m;
}

torch::jit::Module scriptLayerNorm(const std::string& name, int64_t dim) {
    torch::jit::Module m("cx_demo." + name);
    m.register_parameter("weight", torch::ones({dim}), false);
    m.register_parameter("bias", torch::zeros({dim}), false);
    m.define("def forward(self, x):\n    return torch.layer_norm(x, [x.size(-1)], self.weight, self.bias, 1e-5)\n");
    return m;
}

torch::jit::Module scriptEmbedding(const std::string& name, int64_t rows, int64_t dim, double std) {
    torch::jit::Module m("cx_demo." + name);
    m.register_parameter("weight", torch::randn({rows, dim}) * std, false);
    m.define("def forward(self, ids):\n    return torch.embedding(self.weight, ids)\n");
    return m;
}

namespace {

// Causal: each position sees itself and the ones before (a decoder); otherwise every position
// sees all (an encoder, as BERT's).
torch::jit::Module selfAttention(int64_t width, int64_t heads, bool causal) {
    torch::jit::Module m(causal ? "cx_demo.CausalSelfAttention" : "cx_demo.SelfAttention");
    for (const char* name : {"q", "k", "v", "o"}) m.register_module(name, scriptLinear(name, width, width));
    m.register_attribute("num_heads", c10::IntType::get(), heads);
    m.define(R"(
def forward(self, x):
    n = x.size(0)
    t = x.size(1)
    d = x.size(2)
    h = self.num_heads
    q = self.q.forward(x).view([n, t, h, d // h]).transpose(1, 2)
    k = self.k.forward(x).view([n, t, h, d // h]).transpose(1, 2)
    v = self.v.forward(x).view([n, t, h, d // h]).transpose(1, 2)
    scores = torch.matmul(q, k.transpose(-2, -1)) * (float(d // h) ** -0.5)
)" + std::string(causal ? R"(
    future = torch.ones([t, t], device=x.device).triu(1).gt(0.5)
    scores = scores.masked_fill(future, float('-inf'))
)" : "") + R"(
    weights = torch.softmax(scores, -1)
    y = torch.matmul(weights, v).transpose(1, 2).reshape([n, t, d])
    return self.o.forward(y)
)");
    return m;
}

torch::jit::Module preLnBlock(int64_t width, int64_t heads, bool causal) {
    torch::jit::Module mlp("cx_demo.MLP");
    mlp.register_module("fc", scriptLinear("fc", width, 4 * width));
    mlp.register_module("proj", scriptLinear("proj", 4 * width, width));
    mlp.define("def forward(self, x):\n    return self.proj.forward(torch.gelu(self.fc.forward(x)))\n");
    torch::jit::Module b("cx_demo.Block");
    b.register_module("ln1", scriptLayerNorm("ln1", width));
    b.register_module("attn", selfAttention(width, heads, causal));
    b.register_module("ln2", scriptLayerNorm("ln2", width));
    b.register_module("mlp", mlp);
    b.define(R"(
def forward(self, x):
    x = x + self.attn.forward(self.ln1.forward(x))
    return x + self.mlp.forward(self.ln2.forward(x))
)");
    return b;
}

}  // namespace

torch::jit::Module scriptGpt(const std::string& typeName, const GptShape& shape) {
    torch::jit::Module net(typeName);
    net.register_module("tok_emb", scriptEmbedding("tok_emb", shape.vocabulary, shape.width, 1.0));
    net.register_module("pos_emb", scriptEmbedding("pos_emb", shape.context, shape.width, 0.02));
    // Blocks block0, block1, ...: TorchScript compiled from C++ cannot index a ModuleList.
    std::string calls;
    for (int64_t i = 0; i < shape.layers; ++i) {
        net.register_module("block" + std::to_string(i), preLnBlock(shape.width, shape.heads, shape.causal));
        calls += "    x = self.block" + std::to_string(i) + ".forward(x)\n";
    }
    net.register_module("ln_f", scriptLayerNorm("ln_f", shape.width));
    net.register_module("head", scriptLinear("head", shape.width, shape.vocabulary));
    net.define(R"(
def forward(self, ids):
    positions = torch.arange(ids.size(1), device=ids.device)
    x = self.tok_emb.forward(ids) + self.pos_emb.forward(positions)
)" + calls + R"(
    return self.head.forward(self.ln_f.forward(x))
)");
    return net;
}

}  // namespace cx::engine
