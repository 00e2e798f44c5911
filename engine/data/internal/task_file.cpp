#include "engine/data/internal/task_file.h"

#include "engine/data/internal/job_inputs.h"
#include "engine/io/internal/tensor_io.h"

namespace cx::engine {

Result<Task> taskFromFile(const SafetensorsFile& file, const std::string& path, bool needTargets) {
    const auto& t = file.tensors;
    const bool images = t.count("images") > 0;
    const char* inputKey = images ? "images" : "inputs";
    const char* targetKey = images ? "labels" : "targets";
    if (!t.count(inputKey) || (needTargets && !t.count(targetKey)))
        return invalidInput(path + ": a task file needs tensors 'inputs' and 'targets' (or 'images' and 'labels'), or is "
                                   "one of the built-in tasks addition, multiplication");
    auto inputs = blobToTensor(t.at(inputKey), path);
    if (!inputs) return inputs.error();
    if (inputs.value().dim() == 0 || inputs.value().size(0) == 0) return invalidInput(path + ": the task has no inputs");
    if (inputs.value().is_floating_point() && !torch::isfinite(inputs.value()).all().item<bool>())
        return invalidInput(path + ": '" + inputKey + "' holds NaN or infinite values");
    if (!inputs.value().is_floating_point() && inputs.value().lt(0).any().item<bool>())
        return invalidInput(path + ": '" + inputKey + "' holds a negative token id");
    if (!needTargets) return Task{inputs.take(), {}};
    auto targets = blobToTensor(t.at(targetKey), path);
    if (!targets) return targets.error();
    const auto& y = targets.value();
    if (y.dim() < 1 || y.dim() > 2 || y.size(0) != inputs.value().size(0) || y.numel() == 0)
        return invalidInput(path + ": targets must be one class index per input (N) or one token per position (N x T)");
    if (y.is_floating_point() || y.is_complex() || y.scalar_type() == torch::kBool)
        return invalidInput(path + ": targets must be integer class or token indices");
    if (y.dim() == 1 && y.lt(0).any().item<bool>()) return invalidInput(path + ": targets has labels below 0 (unlabelled data?)");
    if (y.dim() == 2 && y.lt(-1).any().item<bool>()) return invalidInput(path + ": token targets must be -1 (ignored) or a token id");
    return Task{inputs.take(), targets.take().to(torch::kInt64)};
}

Result<Task> loadTask(const std::string& path, ArithmeticSplit split, bool needTargets) {
    if (auto op = parseArithmeticOp(path)) {
        auto t = arithmeticTask(*op, split);
        return Task{t.inputs, t.targets};
    }
    auto file = readSafetensors(path);
    if (!file) return file.error();
    return taskFromFile(file.value(), path, needTargets);
}

Status checkTaskFits(const Model& model, const Task& task, const std::string& source) {
    if (!task.targets.defined()) return Done{};  // feature preservation runs only up to its target
    auto out = probeOutput(model, task.inputs, source);
    if (!out) return out.error();
    const auto& logits = out.value();
    const auto& y = task.targets;
    const int64_t top = y.max().item<int64_t>();
    if (y.dim() == 1) {
        if (logits.dim() != 2)
            return invalidInput(source + ": one class per example, but the model's output has " + std::to_string(logits.dim()) +
                                " dimensions (a sequence task needs N x T targets)");
        if (top >= logits.size(1))
            return invalidInput(source + ": targets has class " + std::to_string(top) + ", but the model has " +
                                std::to_string(logits.size(1)) + " outputs");
        return Done{};
    }
    if (logits.dim() != 3 || logits.size(1) != y.size(1))
        return invalidInput(source + ": N x " + std::to_string(y.size(1)) + " token targets need an output of N x " +
                            std::to_string(y.size(1)) + " x vocabulary");
    if (top >= logits.size(2))
        return invalidInput(source + ": targets has token " + std::to_string(top) + ", but the vocabulary has " +
                            std::to_string(logits.size(2)) + " tokens");
    return Done{};
}

}  // namespace cx::engine
