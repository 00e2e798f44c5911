#pragma once
// Conversion between safetensors blobs and torch tensors (engine only).
#include <torch/torch.h>

#include "engine/core/error.h"
#include "engine/io/safetensors.h"

namespace cx::engine {

/// A contiguous CPU tensor holding a copy of the blob's data.
Result<torch::Tensor> blobToTensor(const TensorBlob& blob, const std::string& name);
/// The tensor's data (moved to the CPU, made contiguous).
TensorBlob tensorToBlob(const torch::Tensor& tensor);

}  // namespace cx::engine
