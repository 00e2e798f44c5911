#include "engine/data/internal/image_set.h"

#include <algorithm>
#include <filesystem>

#include <stb_image_resize.h>
#include <stb_image_write.h>

#include "engine/data/internal/image_codec.h"
#include "engine/io/atomic_file.h"
#include "engine/io/file_read.h"
#include "engine/io/internal/tensor_io.h"
#include "engine/io/safetensors.h"

namespace cx::engine {
namespace {

namespace fs = std::filesystem;

bool isImageFile(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

std::vector<fs::path> sortedImages(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && isImageFile(e.path())) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

Result<ImageSet> loadFolder(const fs::path& dir, const ImageOptions& opt) {
    ImageSet set;
    std::vector<std::pair<fs::path, int64_t>> files;
    for (const auto& f : sortedImages(dir)) files.emplace_back(f, -1);
    if (files.empty()) {
        std::vector<fs::path> classes;
        for (const auto& e : fs::directory_iterator(dir))
            if (e.is_directory()) classes.push_back(e.path());
        std::sort(classes.begin(), classes.end());
        for (const auto& c : classes) {
            auto inClass = sortedImages(c);
            if (inClass.empty()) continue;
            const auto label = static_cast<int64_t>(set.info.classNames.size());
            set.info.classNames.push_back(c.filename().string());
            for (const auto& f : inClass) files.emplace_back(f, label);
        }
    }
    if (files.empty()) return invalidInput("no PNG or JPEG images in " + dir.string() + " (nor in its sub-folders)");
    if (opt.limit > 0 && static_cast<int64_t>(files.size()) > opt.limit) files.resize(static_cast<size_t>(opt.limit));
    std::vector<torch::Tensor> images;
    std::vector<int64_t> labels;
    for (const auto& [file, label] : files) {
        auto bytes = readInputFile(file.string(), "image");
        if (!bytes) return bytes.error();
        auto img = decodeImage(bytes.value(), file.string(), opt);
        if (!img) return img.error();
        if (!images.empty() && img.value().sizes() != images.front().sizes())
            return invalidInput("image " + file.string() + " has another size than " + set.info.files.front() +
                                "; give a resize and crop size");
        images.push_back(img.take());
        labels.push_back(label);
        set.info.files.push_back(file.string());
    }
    set.images = torch::stack(images);
    if (opt.normalize) {
        auto mean = torch::tensor(std::vector<float>(opt.mean.begin(), opt.mean.end())).view({1, 3, 1, 1});
        auto sd = torch::tensor(std::vector<float>(opt.std.begin(), opt.std.end())).view({1, 3, 1, 1});
        set.images = (set.images - mean) / sd;
    }
    set.labels = torch::tensor(labels, torch::kInt64);
    return set;
}

}  // namespace

ImageSet tokenSet(torch::Tensor ids, const std::string& source, int64_t limit) {
    ImageSet set;
    set.images = limit > 0 && ids.size(0) > limit ? ids.slice(0, 0, limit).contiguous() : std::move(ids);
    set.labels = torch::full({set.images.size(0)}, -1, torch::kInt64);
    set.info.source = source;
    set.info.count = set.images.size(0);
    set.info.width = set.images.size(1);
    return set;
}

namespace {

// Token ids (N x T int64) for a language model: scored and swept like images.
Result<ImageSet> tokenInputs(const TensorBlob& blob, const std::string& path, const ImageOptions& opt) {
    if (blob.shape.size() != 2) return invalidInput(path + ": 'inputs' must be N x T token ids");
    auto ids = blobToTensor(blob, path);
    if (!ids) return ids.error();
    if (ids.value().size(0) == 0) return invalidInput(path + ": 'inputs' holds no example");
    if (ids.value().min().item<int64_t>() < 0) return invalidInput(path + ": 'inputs' holds a negative token id");
    return tokenSet(ids.take(), path, opt.limit);
}

}  // namespace

Result<ImageSet> imagesFromFile(const SafetensorsFile& file, const std::string& path, const ImageOptions& opt) {
    auto it = file.tensors.find("images");
    if (it == file.tensors.end()) {
        auto tokens = file.tensors.find("inputs");
        if (tokens != file.tensors.end() && tokens->second.dtype == DType::I64) return tokenInputs(tokens->second, path, opt);
        return invalidInput(path + ": no tensor named 'images' (float32 N x C x H x W) or 'inputs' (int64 N x T token ids)");
    }
    if (it->second.dtype != DType::F32)
        return invalidInput(path + ": 'images' must be float32, not " + std::string(dtypeName(it->second.dtype)));
    if (it->second.shape.size() != 4)
        return invalidInput(path + ": 'images' must be N x C x H x W, got " + std::to_string(it->second.shape.size()) +
                            " dimensions");
    auto images = blobToTensor(it->second, path);
    if (!images) return images.error();
    ImageSet set;
    set.images = images.take();
    if (set.images.size(0) == 0) return invalidInput(path + ": 'images' holds no image");
    if (opt.limit > 0 && set.images.size(0) > opt.limit) set.images = set.images.slice(0, 0, opt.limit).contiguous();
    if (!torch::isfinite(set.images).all().item<bool>())
        return invalidInput(path + ": 'images' contains NaN or infinite values");
    set.labels = torch::full({set.images.size(0)}, -1, torch::kInt64);
    auto labels = file.tensors.find("labels");
    if (labels != file.tensors.end()) {
        auto l = blobToTensor(labels->second, path);
        if (!l) return l.error();
        if (l.value().dim() != 1 || l.value().size(0) < set.images.size(0))
            return invalidInput(path + ": 'labels' must be a vector with one label per image");
        if (l.value().is_floating_point() || l.value().is_complex() || l.value().scalar_type() == torch::kBool)
            return invalidInput(path + ": 'labels' must be integer class indices");
        set.labels = l.value().slice(0, 0, set.images.size(0)).to(torch::kInt64);
        if (set.labels.lt(-1).any().item<bool>())
            return invalidInput(path + ": 'labels' must be class indices (or -1 for unlabelled)");
    }
    auto names = file.metadata.find("class_names");
    if (names != file.metadata.end()) {
        std::string s = names->second, item;
        for (char c : s + ",") {
            if (c == ',') { if (!item.empty()) set.info.classNames.push_back(item); item.clear(); }
            else item += c;
        }
    }
    return set;
}

Result<torch::Tensor> decodeImage(const std::vector<uint8_t>& bytes, const std::string& name, const ImageOptions& opt) {
    auto decoded = decodePngOrJpeg(bytes, name);
    if (!decoded) return decoded.error();
    std::vector<unsigned char> rgb = std::move(decoded.value().pixels);
    int w = decoded.value().width, h = decoded.value().height;
    if (opt.resize > 0 && std::min(w, h) != opt.resize) {
        const double s = double(opt.resize) / std::min(w, h);
        const double nwd = std::max(1.0, std::round(w * s)), nhd = std::max(1.0, std::round(h * s));
        if (nwd > kMaxImageSide || nhd > kMaxImageSide || nwd * nhd > double(kMaxImagePixels))
            return invalidInput("image " + name + " resized to a shorter side of " + std::to_string(opt.resize) +
                                " would exceed the limit of " + std::to_string(kMaxImagePixels) + " pixels");
        const int nw = int(nwd), nh = int(nhd);
        std::vector<unsigned char> out(static_cast<size_t>(nw) * nh * 3);
        stbir_resize_uint8(rgb.data(), w, h, 0, out.data(), nw, nh, 0, 3);
        rgb.swap(out);
        w = nw;
        h = nh;
    }
    // Cropped while still 8-bit, then converted into one contiguous float tensor in place: the
    // peak is the decoded pixels plus one float image (a full-size 8192 x 8192 image would
    // otherwise hold three float copies at once, 2.3 GB).
    auto pixels = torch::from_blob(rgb.data(), {h, w, 3}, torch::kUInt8).permute({2, 0, 1});
    if (opt.crop > 0) {
        if (w < opt.crop || h < opt.crop)
            return invalidInput("image " + name + " (" + std::to_string(w) + "x" + std::to_string(h) +
                                ") is smaller than the crop size " + std::to_string(opt.crop));
        const int top = (h - opt.crop) / 2, left = (w - opt.crop) / 2;
        pixels = pixels.slice(1, top, top + opt.crop).slice(2, left, left + opt.crop);
    }
    auto t = torch::empty(pixels.sizes(), torch::kFloat32);
    t.copy_(pixels);
    t.div_(255.0);
    return t;
}

static Result<ImageSet> loadImageFile(const std::string& path, const ImageOptions& options) {
    auto file = readSafetensors(path);
    if (!file) return file.error();
    return imagesFromFile(file.value(), path, options);
}

Result<ImageSet> loadImages(const std::string& path, const ImageOptions& options) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return invalidInput("image path not found: " + path);
    auto set = fs::is_directory(path, ec) ? loadFolder(path, options) : loadImageFile(path, options);
    if (!set) return set;
    auto& s = set.value();
    s.info.source = path;
    s.info.count = s.images.size(0);
    if (s.images.dim() != 4) return set;  // token ids: N x T, no channels
    s.info.channels = s.images.size(1);
    s.info.height = s.images.size(2);
    s.info.width = s.images.size(3);
    return set;
}

Status saveImages(const std::string& path, const ImageSet& set) {
    SafetensorsFile file;
    file.tensors["images"] = tensorToBlob(set.images.to(torch::kFloat32));
    if (set.labels.defined()) file.tensors["labels"] = tensorToBlob(set.labels.to(torch::kInt64));
    std::string names;
    for (const auto& n : set.info.classNames) names += (names.empty() ? "" : ",") + n;
    if (!names.empty()) file.metadata["class_names"] = names;
    file.metadata["format"] = "cx-images/1";
    return writeSafetensors(path, file);
}

Status savePng(const std::string& path, const torch::Tensor& image) {
    auto hwc = (image.detach().to(torch::kCPU).clamp(0, 1) * 255).round().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
    std::vector<uint8_t> png;
    auto append = [](void* context, void* data, int size) {
        auto* out = static_cast<std::vector<uint8_t>*>(context);
        out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
    };
    const int ok = stbi_write_png_to_func(append, &png, static_cast<int>(hwc.size(1)), static_cast<int>(hwc.size(0)),
                                          static_cast<int>(hwc.size(2)), hwc.data_ptr<uint8_t>(), 0);
    if (!ok) return ioError("cannot encode PNG for " + path);
    return writeFileAtomic(path, png.data(), png.size());
}

}  // namespace cx::engine
