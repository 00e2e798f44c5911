#include "engine/model/workspace.h"

#include <filesystem>
#include <sstream>

#include "engine/data/internal/job_inputs.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/model/model.h"

namespace cx::engine {

Workspace::Workspace(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Workspace::~Workspace() = default;

Result<std::shared_ptr<Workspace>> Workspace::open(const std::string& modelPath) {
    auto model = Model::load(modelPath);
    if (!model) return model.error();
    return over(model.take());
}

std::shared_ptr<Workspace> Workspace::over(std::shared_ptr<Model> model) {
    auto impl = std::make_unique<Impl>();
    impl->model = std::move(model);
    impl->stats.memoryBound = impl->bound;
    return std::make_shared<Workspace>(std::move(impl));
}

const ModelSummary& Workspace::summary() const { return m_impl->model->summary(); }
const std::shared_ptr<Model>& Workspace::model() const { return m_impl->model; }

void Workspace::setMemoryBound(size_t bytes) {
    {
        std::lock_guard<std::mutex> lock(m_impl->mutex);
        m_impl->bound = m_impl->stats.memoryBound = bytes;
    }
    m_impl->keep({}, nullptr, 0);  // applies the bound now
}

WorkspaceStats Workspace::stats() const {
    std::lock_guard<std::mutex> lock(m_impl->mutex);
    return m_impl->stats;
}

size_t tensorBytes(const std::map<int, torch::Tensor>& tensors) {
    size_t bytes = 0;
    for (const auto& entry : tensors)
        if (entry.second.defined()) bytes += size_t(entry.second.numel()) * entry.second.element_size();
    return bytes;
}

std::string Workspace::Impl::imagesKey(const std::string& path, const ImageOptions& o) {
    // A rewritten file (or a folder whose entries changed) is another key: it is read again.
    std::error_code ec;
    const auto modified = std::filesystem::last_write_time(path, ec);
    const auto stamp = ec ? 0 : modified.time_since_epoch().count();
    const auto size = std::filesystem::is_regular_file(path, ec) ? std::filesystem::file_size(path, ec) : 0;
    std::ostringstream key;
    key << path << '|' << stamp << '|' << (ec ? 0 : size) << '|' << o.resize << ',' << o.crop << ',' << o.normalize << ','
        << o.limit;
    for (float v : o.mean) key << ',' << v;
    for (float v : o.std) key << ',' << v;
    return key.str();
}

Result<std::shared_ptr<const ImageSet>> Workspace::Impl::images(const std::string& path, const ImageOptions& options) {
    const std::string key = "images|" + imagesKey(path, options);
    if (auto cached = find<ImageSet>(key)) {
        count(&WorkspaceStats::imageHits);
        return cached;
    }
    auto loaded = loadCheckedImages(*model, path, options);
    if (!loaded) return loaded.error();
    count(&WorkspaceStats::imageReads);
    auto set = std::make_shared<const ImageSet>(loaded.take());
    size_t bytes = size_t(set->images.numel()) * set->images.element_size();
    if (set->labels.defined()) bytes += size_t(set->labels.numel()) * set->labels.element_size();
    keep(key, set, bytes);
    return set;
}

void Workspace::Impl::count(int64_t WorkspaceStats::*field, int64_t n) {
    std::lock_guard<std::mutex> lock(mutex);
    stats.*field += n;
}

void Workspace::Impl::keep(const std::string& key, std::shared_ptr<const void> value, size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex);
    if (value) {
        auto& entry = entries[key];
        stats.cachedBytes -= entry.bytes;
        entry = Entry{std::move(value), bytes, ++clock};
        stats.cachedBytes += bytes;
    }
    evictBeyondBound(key);
}

void Workspace::Impl::evictBeyondBound(const std::string& keepKey) {
    while (stats.cachedBytes > bound) {
        auto oldest = entries.end();
        for (auto it = entries.begin(); it != entries.end(); ++it)
            if (it->first != keepKey && (oldest == entries.end() || it->second.used < oldest->second.used)) oldest = it;
        if (oldest == entries.end()) return;  // only the newest entry is left: it stays
        stats.cachedBytes -= oldest->second.bytes;
        entries.erase(oldest);
        ++stats.evictions;
    }
}

}  // namespace cx::engine
