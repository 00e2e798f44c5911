#pragma once
// The engine's side of a Workspace: the loaded model, a byte-bounded cache of what jobs computed
// on it, and the in-memory scores and masks that the public handles point to.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/data/internal/image_set.h"
#include "engine/model/workspace.h"
#include "engine/pruning/internal/circuit_files.h"

namespace cx::engine {

/// Scores as `cx score` writes them: the unit scores, their target and the file's metadata.
struct Scores {
    LoadedScores data;
    std::string source;  // the file they were read from, or what computed them (for messages)
};

/// A mask as a mask file holds it (the same metadata, grids and saliencies).
struct Mask {
    LoadedMasks data;
    std::string source;  // the file it was read from, or empty when it exists only in memory
};

struct Workspace::Impl {
    std::shared_ptr<Model> model;

    /// The images at `path` (checked against the model), decoded once per path, modification
    /// time, size and options.
    Result<std::shared_ptr<const ImageSet>> images(const std::string& path, const ImageOptions& options);
    /// The key images(path, options) caches under; other caches of results on those images
    /// extend it.
    static std::string imagesKey(const std::string& path, const ImageOptions& options);

    /// A cached value of type T under `key`, or null (counted as a hit when found).
    template <class T>
    std::shared_ptr<const T> find(const std::string& key) {
        std::lock_guard<std::mutex> lock(mutex);
        auto it = entries.find(key);
        if (it == entries.end()) return nullptr;
        it->second.used = ++clock;
        return std::static_pointer_cast<const T>(it->second.value);
    }
    /// Keeps `value` (of `bytes`) under `key`, then drops least recently used entries (never
    /// this one) until the cache is within its bound.
    void keep(const std::string& key, std::shared_ptr<const void> value, size_t bytes);
    /// Counts a statistic under the lock.
    void count(int64_t WorkspaceStats::*field, int64_t n = 1);

    mutable std::mutex mutex;
    WorkspaceStats stats;
    size_t bound = size_t(2) << 30;

private:
    struct Entry {
        std::shared_ptr<const void> value;
        size_t bytes = 0;
        uint64_t used = 0;
    };
    std::map<std::string, Entry> entries;
    uint64_t clock = 0;
    void evictBeyondBound(const std::string& keepKey);
};

/// Bytes held by a map of tensors (scores, masks, relevance grids).
size_t tensorBytes(const std::map<int, torch::Tensor>& tensors);

}  // namespace cx::engine
