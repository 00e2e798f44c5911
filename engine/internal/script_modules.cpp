#include "engine/internal/script_modules.h"

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

}  // namespace cx::engine
