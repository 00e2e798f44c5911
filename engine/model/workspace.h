#pragma once
// One open model and what has been computed on it: the model is read, analysed and hashed once;
// image sets, scores and top activations stay in memory (within a bound) for the next job, and
// the model's device copies live as long as the workspace. Files are written only when asked.
// The CLI opens one per command, the GUI one per open model. Plain C++ (pimpl).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/core/error.h"
#include "engine/model/layer_info.h"

namespace cx::engine {

class Model;

/// Scores of one target and criterion, and a mask (a pruned circuit or a learned mask), held
/// in memory. Their types are the engine's own (internal/workspace_impl.h): outside the engine
/// they are handles to pass back to it.
struct Scores;
struct Mask;
using ScoresHandle = std::shared_ptr<const Scores>;
using MaskHandle = std::shared_ptr<const Mask>;

struct WorkspaceStats {
    int64_t imageReads = 0;         // image files (or folders) decoded
    int64_t imageHits = 0;          // image requests answered from memory
    int64_t scoreRuns = 0;          // scoring passes run
    int64_t scoreHits = 0;          // scores answered from memory
    int64_t topActivationRuns = 0;  // forward passes that looked for top activations
    int64_t evictions = 0;          // cached entries dropped to stay within the bound
    size_t cachedBytes = 0, memoryBound = 0;
};

class Workspace {
public:
    struct Impl;

    /// Reads a TorchScript file once (Model::load: checked, analysed, hashed).
    /// Errors: those of Model::load.
    static Result<std::shared_ptr<Workspace>> open(const std::string& modelPath);
    /// A workspace over a model already loaded (the GUI loads it in the background first).
    static std::shared_ptr<Workspace> over(std::shared_ptr<Model> model);

    const ModelSummary& summary() const;
    const std::shared_ptr<Model>& model() const;

    /// Cached images, scores and top activations beyond this many bytes are dropped, least
    /// recently used first (what a job still holds stays alive until it ends). Default 2 GiB.
    void setMemoryBound(size_t bytes);
    WorkspaceStats stats() const;

    Impl& impl() const { return *m_impl; }

    explicit Workspace(std::unique_ptr<Impl> impl);
    ~Workspace();
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

private:
    std::unique_ptr<Impl> m_impl;
};

}  // namespace cx::engine
