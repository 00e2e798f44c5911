#pragma once
// Task data for mask training and evaluation: a built-in arithmetic task, or a safetensors file
// with `inputs` + `targets` (or `images` + `labels`), checked before any training starts.
#include <torch/torch.h>

#include "engine/core/error.h"
#include "engine/data/internal/arithmetic_data.h"
#include "engine/io/safetensors.h"
#include "engine/model/model.h"

namespace cx::engine {

struct Task {
    torch::Tensor inputs, targets;  // targets: int64 N (classes) or N x T (tokens, -1 ignored)
};

/// The task in a parsed safetensors file; `source` names it in errors. `needTargets` false:
/// inputs alone are enough (feature preservation makes its own targets).
Result<Task> taskFromFile(const SafetensorsFile& file, const std::string& source, bool needTargets);

/// A built-in task's name ("addition", ...) or a task file's path.
Result<Task> loadTask(const std::string& pathOrName, ArithmeticSplit split, bool needTargets = true);

/// The task run through the model on its first examples: inputs it cannot take, and targets
/// outside its outputs (a class past the last logit, a sequence of another length), are bad
/// input naming the source, found before any training.
Status checkTaskFits(const Model& model, const Task& task, const std::string& source);

}  // namespace cx::engine
