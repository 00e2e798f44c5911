#pragma once
// A loaded TorchScript model. The public face is plain C++ (pimpl); engine modules reach the
// torch module and its analysed graph through internal/model_impl.h.
#include <cstdint>
#include <memory>
#include <string>

#include "engine/core/error.h"
#include "engine/model/layer_info.h"

namespace cx::engine {

class Model {
public:
    struct Impl;

    /// Loads a TorchScript file and analyses its forward graph (layers, channel flow).
    /// Thread: any (the returned model may then be shared read-only between threads).
    /// Errors: InvalidInput for a missing, truncated or non-TorchScript file, or a model with
    /// no convolution / linear layer; the message names the file.
    static Result<std::shared_ptr<Model>> load(const std::string& path);

    const ModelSummary& summary() const;
    Impl& impl() const { return *m_impl; }

    explicit Model(std::unique_ptr<Impl> impl);
    ~Model();
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

private:
    std::unique_ptr<Impl> m_impl;
};

/// How many TorchScript files this process has read (Model::load calls that reached the file's
/// contents): tests count it to check that a command or a session reads its model once.
int64_t modelFileReads();

}  // namespace cx::engine
