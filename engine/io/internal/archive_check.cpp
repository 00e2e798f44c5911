#include "engine/io/internal/archive_check.h"

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include <c10/core/CPUAllocator.h>
#include <torch/csrc/jit/frontend/error_report.h>
#include <torch/csrc/jit/ir/ir.h>

#include "engine/core/internal/guard.h"
#include "engine/io/file_read.h"
#include "engine/io/zip_directory.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/model_probe.h"

namespace cx::engine {
namespace {

// Bytes a tensor's sizes and strides reach into its storage.
uint64_t bytesNeeded(const at::Tensor& t) {
    if (t.numel() == 0) return 0;
    int64_t last = t.storage_offset();
    for (int64_t d = 0; d < t.dim(); ++d) last += (t.size(d) - 1) * t.stride(d);
    return uint64_t(last + 1) * uint64_t(t.element_size());
}

// The default CPU allocator, with the size of every allocation remembered by address while a
// load runs. One instance for the process, never destroyed: a thread that fetched it while it
// was installed may still call it afterwards, and then it only forwards.
class RecordingAllocator final : public c10::Allocator {
public:
    explicit RecordingAllocator(c10::Allocator* base) : m_base(base) {}
    c10::DataPtr allocate(size_t n) const override {
        auto ptr = m_base->allocate(n);
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_recording) m_sizes[ptr.get()] = n;
        return ptr;
    }
    void record(bool on) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_recording = on;
        m_sizes.clear();
    }
    c10::Allocator* base() const { return m_base; }
    c10::DeleterFnPtr raw_deleter() const override { return m_base->raw_deleter(); }
    std::optional<size_t> sizeOf(const void* p) const {
        std::lock_guard<std::mutex> lock(m_mutex);
        auto it = m_sizes.find(p);
        return it == m_sizes.end() ? std::nullopt : std::optional<size_t>(it->second);
    }

private:
    c10::Allocator* m_base;
    bool m_recording = false;
    mutable std::mutex m_mutex;
    mutable std::unordered_map<const void*, size_t> m_sizes;
};

Status storageCovers(const at::Tensor& t, const std::string& name, const std::string& path, const RecordingAllocator& recorded) {
    if (!t.defined() || !t.has_storage() || t.numel() == 0) return Done{};
    const uint64_t needed = bytesNeeded(t);
    uint64_t held = t.storage().nbytes();
    if (auto allocated = recorded.sizeOf(t.storage().data())) held = std::min<uint64_t>(held, *allocated);
    if (needed > held)
        return invalidInput(path + ": tensor " + name + " needs " + std::to_string(needed) + " bytes but its data holds " +
                            std::to_string(held) + " (a damaged or crafted file)");
    return Done{};
}

Status checkTensorStorage(const torch::jit::Module& module, const std::string& path, const RecordingAllocator& recorded) {
    for (const auto& p : module.named_parameters(true))
        if (auto st = storageCovers(p.value, p.name, path, recorded); !st) return st;
    for (const auto& b : module.named_buffers(true))
        if (auto st = storageCovers(b.value, b.name, path, recorded); !st) return st;
    for (const auto& method : module.get_methods())
        for (const auto* node : flattenNodes(method.graph()->block()))
            if (node->kind() == c10::prim::Constant && node->hasAttribute(c10::attr::value) &&
                node->kindOf(c10::attr::value) == torch::jit::AttributeKind::t)
                if (auto st = storageCovers(node->t(c10::attr::value), "(a constant of " + method.name() + ")", path, recorded); !st)
                    return st;
    return Done{};
}

}  // namespace

Result<uint64_t> unpackedSize(const std::string& path) {
    // The directory lies at the end: the last 16 MiB hold it for any real model.
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return invalidInput("cannot open " + path);
    const uint64_t fileSize = uint64_t(in.tellg());
    const uint64_t window = std::min<uint64_t>(fileSize, uint64_t(16) << 20);
    std::vector<uint8_t> tail(window);
    in.seekg(std::streamoff(fileSize - window));
    in.read(reinterpret_cast<char*>(tail.data()), std::streamsize(window));
    if (!in) return ioError("cannot read " + path);
    auto total = zipUnpackedSize(tail.data(), tail.size(), fileSize);
    if (!total) return invalidInput(path + ": " + total.error().message);
    return total;
}

Status checkArchiveSize(const std::string& path) {
    auto total = unpackedSize(path);
    if (!total) return invalidInput("not a readable TorchScript model: " + total.error().message);
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    const uint64_t fileSize = uint64_t(in.tellg());
    // PyTorch stores tensors uncompressed: a real archive unpacks to about its own size.
    const bool chosen = std::getenv("CX_MAX_INPUT_BYTES") != nullptr;
    const uint64_t limit = chosen ? maxInputBytes() : std::min(maxInputBytes(), fileSize + (uint64_t(1) << 30));
    if (total.value() > limit)
        return invalidInput(path + ": the archive unpacks to " + std::to_string(total.value()) + " bytes, more than the limit of " +
                            std::to_string(limit) + " for a file of " + std::to_string(fileSize) +
                            " (a zip bomb? set CX_MAX_INPUT_BYTES to raise the limit)");
    return Done{};
}

Result<torch::jit::Module> loadCheckedArchive(const std::string& path) {
    if (auto size = checkArchiveSize(path); !size) return size.error();
    if (auto probed = probeModelFile(path); !probed) return probed.error();
    // One load at a time: the recording allocator is process-wide while it is installed.
    static std::mutex loading;
    std::lock_guard<std::mutex> lock(loading);
    static RecordingAllocator* recorder = new RecordingAllocator(c10::GetCPUAllocator());
    struct Recording {
        Recording() {
            recorder->record(true);
            c10::SetCPUAllocator(recorder, 0);
        }
        ~Recording() {
            c10::SetCPUAllocator(recorder->base(), 0);
            recorder->record(false);
        }
    };
    torch::jit::Module module;
    {
        const Recording recording;
        try {
            module = torch::jit::load(path, torch::kCPU);
        } catch (const torch::jit::ErrorReport& e) {
            // Formatting a source-located report can itself throw inside what() (noexcept:
            // std::terminate) on a crafted archive, so only the prober process formats it; here
            // its line is reused.
            if (isModelProber()) return invalidInput("not a readable TorchScript model (" + errorReason(e.what()) + "): " + path);
            const std::string probed = probedError(path);
            if (!probed.empty()) return invalidInput(probed.rfind("error: ", 0) == 0 ? probed.substr(7) : probed);
            return invalidInput("not a readable TorchScript model (its TorchScript code does not compile here): " + path);
        } catch (const std::exception& e) {
            return invalidInput("not a readable TorchScript model (" + errorReason(e.what()) + "): " + path);
        }
        if (auto st = checkTensorStorage(module, path, *recorder); !st) return st.error();
    }
    return module;
}

}  // namespace cx::engine
