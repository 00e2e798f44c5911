#include "engine/io/internal/tensor_io.h"

#include <cstring>

namespace cx::engine {
namespace {

struct Pair {
    DType dtype;
    torch::ScalarType scalar;
};

constexpr Pair kPairs[] = {{DType::F64, torch::kFloat64}, {DType::F32, torch::kFloat32},
                           {DType::F16, torch::kFloat16}, {DType::BF16, torch::kBFloat16},
                           {DType::I64, torch::kInt64},   {DType::I32, torch::kInt32},
                           {DType::I16, torch::kInt16},   {DType::I8, torch::kInt8},
                           {DType::U8, torch::kUInt8},    {DType::Bool, torch::kBool}};

}  // namespace

Result<torch::Tensor> blobToTensor(const TensorBlob& blob, const std::string& name) {
    for (const auto& p : kPairs) {
        if (p.dtype != blob.dtype) continue;
        auto t = torch::empty(blob.shape, torch::TensorOptions().dtype(p.scalar));
        if (static_cast<size_t>(t.nbytes()) != blob.data.size())
            return invalidInput(name + ": data size does not match its shape");
        if (!blob.data.empty()) std::memcpy(t.data_ptr(), blob.data.data(), blob.data.size());
        return t;
    }
    return invalidInput(name + ": unsupported dtype " + std::string(dtypeName(blob.dtype)));
}

TensorBlob tensorToBlob(const torch::Tensor& tensor) {
    auto t = tensor.detach().to(torch::kCPU).contiguous();
    TensorBlob blob;
    blob.dtype = DType::F32;
    for (const auto& p : kPairs)
        if (p.scalar == t.scalar_type()) blob.dtype = p.dtype;
    if (dtypeName(blob.dtype) == std::string("F32") && t.scalar_type() != torch::kFloat32) t = t.to(torch::kFloat32);
    blob.shape = t.sizes().vec();
    const auto* bytes = static_cast<const uint8_t*>(t.data_ptr());
    blob.data.assign(bytes, bytes + t.nbytes());
    return blob;
}

}  // namespace cx::engine
