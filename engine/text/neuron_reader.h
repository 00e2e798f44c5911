#pragma once
// Reads units of one layer of a token model (a linear layer's output at every position: an MLP's
// hidden units, attention projections, GPT-2's Conv1D) on token sequences, in the model or in a
// circuit. Sequences are run in batches of equal length only, so nothing is padded and the values
// are exact for any model, causal or not. Plain C++ (pimpl): the GUI includes it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/model/workspace.h"

namespace cx::engine {

class NeuronReader {
public:
    struct Impl;
    /// `units` of `layer` (all when empty). `mask` null: the model; otherwise the circuit as its
    /// sweep runs it. Refused: a layer that is not a linear layer of a model that reads token ids.
    static Result<NeuronReader> open(Workspace& workspace, const MaskHandle& mask, const std::string& layer,
                                     std::vector<int64_t> units = {});

    const std::string& layer() const;
    const std::vector<int64_t>& units() const;

    /// The value of the `unitIndex`-th unit (of units()) at every position of each sequence.
    Result<std::vector<std::vector<double>>> unitValues(const std::vector<std::vector<int64_t>>& sequences,
                                                         size_t unitIndex) const;

    Impl& impl() const { return *m_impl; }
    explicit NeuronReader(std::shared_ptr<Impl> impl) : m_impl(std::move(impl)) {}

private:
    std::shared_ptr<Impl> m_impl;
};

}  // namespace cx::engine
