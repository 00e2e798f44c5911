#pragma once
// Building blocks for the demo models, written as TorchScript modules from C++ so that the saved
// files are ordinary TorchScript archives any tool (and Python's torch.jit.load) can read.
#include <string>

#include <torch/script.h>

namespace cx::engine {

/// torch.linear(x, weight, bias) with PyTorch's default init, U(+-1/sqrt(in)) for both tensors.
torch::jit::Module scriptLinear(const std::string& name, int64_t in, int64_t out);
/// Layer norm over the last dimension (weight 1, bias 0, eps 1e-5).
torch::jit::Module scriptLayerNorm(const std::string& name, int64_t dim);
/// A learned table looked up by integer ids (weight: rows x dim, initialised N(0, std^2)).
torch::jit::Module scriptEmbedding(const std::string& name, int64_t rows, int64_t dim, double std);

}  // namespace cx::engine
