#include "engine/io/safetensors.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/io/atomic_file.h"
#include "engine/io/file_read.h"

namespace cx::engine {
namespace {

using json = nlohmann::json;

struct DTypeEntry {
    DType dtype;
    const char* name;
    size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4}, {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4}, {DType::I16, "I16", 2}, {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},   {DType::Bool, "BOOL", 1}};

const DTypeEntry* findDType(const std::string& name) {
    for (const auto& e : kDTypes)
        if (name == e.name) return &e;
    return nullptr;
}

constexpr uint64_t kMaxHeader = 100u << 20;  // the reference implementation's limit

Result<TensorBlob> parseEntry(const std::string& key, const json& entry, const uint8_t* data, uint64_t dataSize,
                              const std::string& name) {
    auto bad = [&](const std::string& why) { return invalidInput(name + ": tensor '" + key + "': " + why); };
    if (!entry.is_object()) return bad("entry is not an object");
    if (!entry.contains("dtype") || !entry["dtype"].is_string()) return bad("missing dtype");
    const auto* dtype = findDType(entry["dtype"].get<std::string>());
    if (!dtype) return bad("unknown dtype " + entry["dtype"].get<std::string>());
    if (!entry.contains("shape") || !entry["shape"].is_array()) return bad("missing shape");
    TensorBlob blob;
    blob.dtype = dtype->dtype;
    // Every dimension, and the product of the non-zero ones, stays below 2^62: a zero size
    // before a huge one must not hide it (the element count would be 0, the shape unusable).
    constexpr uint64_t kLimit = uint64_t(1) << 62;
    uint64_t numel = 1, nonZero = 1;
    for (const auto& d : entry["shape"]) {
        if (!d.is_number_unsigned()) return bad("shape has a negative or non-integer size");
        const uint64_t v = d.get<uint64_t>();
        if (v >= kLimit || (v != 0 && nonZero > kLimit / v)) return bad("shape is too large");
        if (v != 0) nonZero *= v;
        numel *= v;
        blob.shape.push_back(static_cast<int64_t>(v));
    }
    if (numel > kLimit / dtype->size) return bad("shape is too large");
    const auto& offsets = entry.contains("data_offsets") ? entry["data_offsets"] : json();
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
        return bad("data_offsets must be two non-negative integers");
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > dataSize)
        return bad("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                   "] lie outside the data (" + std::to_string(dataSize) + " bytes)");
    if (end - begin != numel * dtype->size)
        return bad("data_offsets span " + std::to_string(end - begin) + " bytes but the shape needs " +
                   std::to_string(numel * dtype->size));
    blob.data.assign(data + begin, data + end);
    return blob;
}

}  // namespace

const char* dtypeName(DType dtype) {
    for (const auto& e : kDTypes)
        if (e.dtype == dtype) return e.name;
    return "?";
}

size_t dtypeSize(DType dtype) {
    for (const auto& e : kDTypes)
        if (e.dtype == dtype) return e.size;
    return 0;
}

int64_t TensorBlob::numel() const {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

Result<SafetensorsFile> parseSafetensors(const uint8_t* bytes, size_t size, const std::string& name) {
    if (size < 8) return invalidInput(name + ": too short for a safetensors file (" + std::to_string(size) + " bytes)");
    uint64_t headerSize = 0;
    for (int i = 7; i >= 0; --i) headerSize = (headerSize << 8) | bytes[i];
    if (headerSize > kMaxHeader) return invalidInput(name + ": header length " + std::to_string(headerSize) + " is implausible");
    if (headerSize > size - 8)
        return invalidInput(name + ": header length " + std::to_string(headerSize) + " is longer than the file (truncated?)");
    json header = json::parse(bytes + 8, bytes + 8 + headerSize, nullptr, false);
    if (header.is_discarded() || !header.is_object()) return invalidInput(name + ": header is not a JSON object");
    SafetensorsFile file;
    const uint8_t* data = bytes + 8 + headerSize;
    const uint64_t dataSize = size - 8 - headerSize;
    std::vector<std::pair<uint64_t, uint64_t>> spans;  // no two tensors may share bytes
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it.value().is_object()) return invalidInput(name + ": __metadata__ is not an object");
            for (auto m = it.value().begin(); m != it.value().end(); ++m) {
                if (!m.value().is_string()) return invalidInput(name + ": metadata value '" + m.key() + "' is not a string");
                file.metadata[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        auto blob = parseEntry(it.key(), it.value(), data, dataSize, name);
        if (!blob) return blob.error();
        const auto& offsets = it.value()["data_offsets"];
        if (offsets[0].get<uint64_t>() < offsets[1].get<uint64_t>())
            spans.emplace_back(offsets[0].get<uint64_t>(), offsets[1].get<uint64_t>());
        file.tensors[it.key()] = blob.take();
    }
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; i < spans.size(); ++i)
        if (spans[i].first < spans[i - 1].second)
            return invalidInput(name + ": two tensors share bytes " + std::to_string(spans[i].first) + " to " +
                                std::to_string(std::min(spans[i].second, spans[i - 1].second)) + " (overlapping data_offsets)");
    return file;
}

Result<SafetensorsFile> readSafetensors(const std::string& path) {
    auto bytes = readInputFile(path, "safetensors file");
    if (!bytes) return bytes.error();
    return parseSafetensors(bytes.value().data(), bytes.value().size(), path);
}

std::vector<uint8_t> serializeSafetensors(const SafetensorsFile& file) {
    json header = json::object();
    if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
    uint64_t offset = 0;
    for (const auto& [key, blob] : file.tensors) {
        header[key] = {{"dtype", dtypeName(blob.dtype)}, {"shape", blob.shape},
                       {"data_offsets", {offset, offset + blob.data.size()}}};
        offset += blob.data.size();
    }
    std::string text = header.dump();
    while ((8 + text.size()) % 8 != 0) text += ' ';  // align the data to 8 bytes
    std::vector<uint8_t> out(8);
    for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(uint64_t(text.size()) >> (8 * i));
    out.insert(out.end(), text.begin(), text.end());
    for (const auto& [key, blob] : file.tensors) out.insert(out.end(), blob.data.begin(), blob.data.end());
    return out;
}

Status writeSafetensors(const std::string& path, const SafetensorsFile& file) {
    const auto bytes = serializeSafetensors(file);
    return writeFileAtomic(path, bytes.data(), bytes.size());
}

}  // namespace cx::engine
