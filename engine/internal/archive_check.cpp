#include "engine/internal/archive_check.h"

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include <c10/core/CPUAllocator.h>
#include <torch/csrc/jit/ir/ir.h>

#include "engine/file_read.h"
#include "engine/internal/guard.h"
#include "engine/internal/model_impl.h"

namespace cx::engine {
namespace {

uint64_t little(const uint8_t* p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

Result<std::vector<uint8_t>> readAt(std::ifstream& in, uint64_t offset, uint64_t size, const std::string& path) {
    std::vector<uint8_t> bytes(size);
    in.seekg(std::streamoff(offset));
    in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(size));
    if (!in) return invalidInput(path + ": the zip directory points outside the file");
    return bytes;
}

// Bytes a tensor's sizes and strides reach into its storage.
uint64_t bytesNeeded(const at::Tensor& t) {
    if (t.numel() == 0) return 0;
    int64_t last = t.storage_offset();
    for (int64_t d = 0; d < t.dim(); ++d) last += (t.size(d) - 1) * t.stride(d);
    return uint64_t(last + 1) * uint64_t(t.element_size());
}

// The default CPU allocator, with the size of every allocation remembered by address.
class RecordingAllocator final : public c10::Allocator {
public:
    explicit RecordingAllocator(c10::Allocator* base) : m_base(base) {}
    c10::DataPtr allocate(size_t n) const override {
        auto ptr = m_base->allocate(n);
        std::lock_guard<std::mutex> lock(m_mutex);
        m_sizes[ptr.get()] = n;
        return ptr;
    }
    c10::DeleterFnPtr raw_deleter() const override { return m_base->raw_deleter(); }
    std::optional<size_t> sizeOf(const void* p) const {
        std::lock_guard<std::mutex> lock(m_mutex);
        auto it = m_sizes.find(p);
        return it == m_sizes.end() ? std::nullopt : std::optional<size_t>(it->second);
    }

private:
    c10::Allocator* m_base;
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
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return invalidInput("cannot open " + path);
    const uint64_t fileSize = uint64_t(in.tellg());
    // The end-of-central-directory record: 22 bytes and a comment of up to 64 KiB.
    const uint64_t tail = std::min<uint64_t>(fileSize, 22 + 65535);
    auto end = readAt(in, fileSize - tail, tail, path);
    if (!end) return end.error();
    const auto& e = end.value();
    int64_t at = -1;
    for (int64_t i = int64_t(tail) - 22; i >= 0; --i)
        if (little(&e[size_t(i)], 4) == 0x06054b50) {
            at = i;
            break;
        }
    if (at < 0) return invalidInput(path + ": not a zip archive (no end of central directory)");
    uint64_t entries = little(&e[size_t(at) + 10], 2), dirSize = little(&e[size_t(at) + 12], 4),
             dirOffset = little(&e[size_t(at) + 16], 4);
    if (at >= 20 && little(&e[size_t(at) - 20], 4) == 0x07064b50) {  // zip64: its own directory record
        const uint64_t record = little(&e[size_t(at) - 20 + 8], 8);
        auto z = readAt(in, record, 56, path);
        if (!z) return z.error();
        if (little(z.value().data(), 4) != 0x06064b50) return invalidInput(path + ": malformed zip64 directory");
        entries = little(&z.value()[32], 8);
        dirSize = little(&z.value()[40], 8);
        dirOffset = little(&z.value()[48], 8);
    }
    if (dirOffset > fileSize || dirSize > fileSize - dirOffset || entries > dirSize / 46)
        return invalidInput(path + ": malformed zip directory");
    auto dir = readAt(in, dirOffset, dirSize, path);
    if (!dir) return dir.error();
    const auto& d = dir.value();
    uint64_t total = 0;
    size_t p = 0;
    for (uint64_t n = 0; n < entries; ++n) {
        if (p + 46 > d.size() || little(&d[p], 4) != 0x02014b50) return invalidInput(path + ": malformed zip directory entry");
        uint64_t size = little(&d[p + 24], 4);
        const size_t nameLength = little(&d[p + 28], 2), extraLength = little(&d[p + 30], 2), commentLength = little(&d[p + 32], 2);
        if (p + 46 + nameLength + extraLength + commentLength > d.size()) return invalidInput(path + ": malformed zip directory entry");
        if (size == 0xffffffffu) {  // the real size is in the zip64 extra field
            for (size_t x = p + 46 + nameLength; x + 4 <= p + 46 + nameLength + extraLength;) {
                const uint64_t id = little(&d[x], 2), length = little(&d[x + 2], 2);
                if (id == 0x0001 && length >= 8 && x + 12 <= d.size()) size = little(&d[x + 4], 8);
                x += 4 + length;
            }
        }
        if (total > UINT64_MAX - size) return invalidInput(path + ": zip sizes overflow");
        total += size;
        p += 46 + nameLength + extraLength + commentLength;
    }
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
    // One load at a time: the recording allocator is process-wide while it is installed.
    static std::mutex loading;
    std::lock_guard<std::mutex> lock(loading);
    c10::Allocator* previous = c10::GetCPUAllocator();
    RecordingAllocator recorder(previous);
    struct Restore {
        c10::Allocator* allocator;
        ~Restore() { c10::SetCPUAllocator(allocator, 0); }
    } restore{previous};
    c10::SetCPUAllocator(&recorder, 0);
    torch::jit::Module module;
    try {
        module = torch::jit::load(path, torch::kCPU);
    } catch (const std::exception& e) {
        return invalidInput("not a readable TorchScript model (" + errorReason(e.what()) + "): " + path);
    }
    if (auto st = checkTensorStorage(module, path, recorder); !st) return st.error();
    return module;
}

}  // namespace cx::engine
