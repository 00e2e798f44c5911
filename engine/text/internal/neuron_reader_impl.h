#pragma once
#include <torch/torch.h>

#include "engine/model/internal/forward_plan.h"
#include "engine/pruning/internal/mask_function.h"
#include "engine/text/neuron_reader.h"

namespace cx::engine {

struct NeuronReader::Impl {
    std::string layer;
    std::vector<int64_t> units;
    std::string device;
    Overrides overrides;
    std::shared_ptr<ForwardPlan> plan;
    torch::Tensor which;  // units() on the device

    /// The chosen units on a batch of equal-length sequences (N x T int64 on the CPU): N x T x U
    /// float on the CPU. Throws c10::Error (callers are guarded).
    torch::Tensor values(const torch::Tensor& ids) const;
};

}  // namespace cx::engine
