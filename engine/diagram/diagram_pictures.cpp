#include "engine/diagram/diagram_pictures.h"

#include <stb_image_write.h>

#include <algorithm>
#include <filesystem>

#include "engine/io/atomic_file.h"
#include "engine/io/file_read.h"

namespace cx::engine {
namespace {

std::string base64(const std::vector<uint8_t>& bytes) {
    static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (size_t i = 0; i < bytes.size(); i += 3) {
        const uint32_t b = (uint32_t(bytes[i]) << 16) | (i + 1 < bytes.size() ? uint32_t(bytes[i + 1]) << 8 : 0) |
                           (i + 2 < bytes.size() ? uint32_t(bytes[i + 2]) : 0);
        out += k[(b >> 18) & 63];
        out += k[(b >> 12) & 63];
        out += i + 1 < bytes.size() ? k[(b >> 6) & 63] : '=';
        out += i + 2 < bytes.size() ? k[b & 63] : '=';
    }
    return out;
}

// Small pictures (a colour swatch is 1 x 1, a first layer's field 5 x 5) enlarged by whole
// pixels: Graphviz's renderers smooth or drop images a few pixels wide.
NodeImage enlarged(const NodeImage& image) {
    constexpr int kMinSide = 32;
    const int side = std::max(image.width, image.height);
    if (side >= kMinSide || side <= 0) return image;
    const int f = (kMinSide + side - 1) / side;
    NodeImage out = image;
    out.width = image.width * f, out.height = image.height * f;
    out.rgb.resize(size_t(out.width) * size_t(out.height) * 3);
    for (int y = 0; y < out.height; ++y)
        for (int x = 0; x < out.width; ++x)
            for (int c = 0; c < 3; ++c)
                out.rgb[(size_t(y) * size_t(out.width) + size_t(x)) * 3 + size_t(c)] =
                    image.rgb[(size_t(y / f) * size_t(image.width) + size_t(x / f)) * 3 + size_t(c)];
    return out;
}

}  // namespace

std::vector<uint8_t> encodePng(const NodeImage& image) {
    std::vector<uint8_t> png;
    auto append = [](void* context, void* data, int size) {
        auto* out = static_cast<std::vector<uint8_t>*>(context);
        out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
    };
    stbi_write_png_to_func(append, &png, image.width, image.height, 3, image.rgb.data(), 0);
    return png;
}

Result<std::map<size_t, std::string>> writeNodePictures(const CircuitDiagram& diagram, const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return ioError("cannot create " + dir + ": " + ec.message());
    std::map<size_t, std::string> files;
    for (size_t i = 0; i < diagram.nodes.size(); ++i) {
        const auto& image = diagram.nodes[i].image;
        if (image.empty() || image.rgb.size() != size_t(image.width) * size_t(image.height) * 3) continue;
        const std::string path = (std::filesystem::path(dir) / ("node" + std::to_string(i) + ".png")).string();
        const auto png = encodePng(enlarged(image));
        if (png.empty()) return ioError("cannot encode the picture of " + diagram.nodes[i].id);
        if (auto st = writeFileAtomic(path, png.data(), png.size()); !st) return st.error();
        files[i] = path;
    }
    return files;
}

std::string inlineSvgImages(const std::string& svg, const std::map<size_t, std::string>& files) {
    std::string out = svg;
    for (const auto& [node, path] : files) {
        auto bytes = readInputFile(path, "picture");
        if (!bytes) continue;
        const std::string uri = "data:image/png;base64," + base64(bytes.value());
        for (const std::string attr : {"xlink:href=\"", "href=\""}) {
            const std::string needle = attr + path + "\"";
            for (size_t at = out.find(needle); at != std::string::npos; at = out.find(needle, at + uri.size()))
                out.replace(at + attr.size(), path.size(), uri);
        }
    }
    return out;
}

}  // namespace cx::engine
