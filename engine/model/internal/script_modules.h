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

/// A GPT-2-style decoder: token and learned position embeddings, `layers` pre-LN blocks
/// (causal self-attention with `heads` heads, GELU MLP of 4 x width), a final layer norm and a
/// linear head to the vocabulary. Input N x T int64 tokens (T <= context), output N x T x vocab.
/// Module paths tok_emb, pos_emb, block{i}.{ln1,attn.{q,k,v,o},ln2,mlp.{fc,proj}}, ln_f, head;
/// each attention module carries an int attribute num_heads. With causal false the attention
/// sees every position (a BERT-style encoder with the same paths).
struct GptShape {
    int64_t vocabulary = 0;
    int64_t context = 0;
    int64_t width = 128;
    int64_t layers = 2;
    int64_t heads = 4;
    bool causal = true;
};
torch::jit::Module scriptGpt(const std::string& typeName, const GptShape& shape);

}  // namespace cx::engine
