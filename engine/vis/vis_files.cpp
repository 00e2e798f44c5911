// Feature visualisations as files: PNG pictures and the optimised inputs as safetensors.
#include <filesystem>

#include "engine/core/internal/guard.h"
#include "engine/data/internal/image_set.h"
#include "engine/io/internal/tensor_io.h"
#include "engine/io/safetensors.h"
#include "engine/vis/feature_vis.h"

namespace cx::engine {
namespace {

namespace fs = std::filesystem;

torch::Tensor imageOf(const VisPicture& p) {
    return torch::from_blob(const_cast<float*>(p.image.data()), {p.channels, p.height, p.width}, torch::kFloat32).clone();
}

torch::Tensor cropOf(const VisPicture& p) {
    const auto& b = p.box;
    return imageOf(p).narrow(1, b[0], b[2] - b[0] + 1).narrow(2, b[1], b[3] - b[1] + 1);
}

std::string fileStem(const VisObjective& o) {
    std::string name = o.layer;
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    if (o.kind != VisKind::Direction) name += "_" + std::to_string(o.unit);
    if (o.kind == VisKind::Channel) name += "_channel";
    if (o.kind == VisKind::Direction) name += "_direction";
    if (o.negative) name += "_negative";
    return name;
}

}  // namespace

Result<std::vector<std::string>> writeVisualisations(const std::vector<VisPicture>& pictures, const VisSettings& s,
                                                     const std::string& out) {
    if (pictures.empty()) return invalidInput("no pictures to write");
    return guarded<std::vector<std::string>>("writing visualisations", [&]() -> Result<std::vector<std::string>> {
        std::vector<std::string> files;
        if (fs::path(out).extension() == ".png") {
            if (pictures.size() > 1) return invalidInput("several pictures need a folder for --out, not " + out);
            if (auto st = savePng(out, cropOf(pictures[0])); !st) return st.error();
            return std::vector<std::string>{out};
        }
        std::error_code ec;
        fs::create_directories(out, ec);
        if (ec) return ioError("cannot create " + out + ": " + ec.message());
        std::vector<torch::Tensor> inputs;
        for (const auto& p : pictures) {
            const std::string stem = (fs::path(out) / fileStem(p.objective)).string();
            if (auto st = savePng(stem + ".png", cropOf(p)); !st) return st.error();
            if (auto st = savePng(stem + "_full.png", imageOf(p)); !st) return st.error();
            files.push_back(stem + ".png");
            files.push_back(stem + "_full.png");
            for (size_t k = 0; k < p.snapshots.size() && k < s.snapshots.size(); ++k) {
                VisPicture snap = p;
                snap.image = p.snapshots[k];
                const std::string path = stem + "_step" + std::to_string(s.snapshots[k]) + ".png";
                if (auto st = savePng(path, cropOf(snap)); !st) return st.error();
                files.push_back(path);
            }
            auto x = imageOf(p);
            if (s.normalize)
                for (int64_t c = 0; c < p.channels; ++c) x[c] = (x[c] - s.mean[size_t(c)]) / s.std[size_t(c)];
            inputs.push_back(x);
        }
        SafetensorsFile file;
        file.metadata = {{"format", "cx-images/1"}, {"normalized", s.normalize ? "imagenet" : "none"}};
        file.tensors["images"] = tensorToBlob(torch::stack(inputs));
        const std::string images = (fs::path(out) / "images.safetensors").string();
        if (auto st = writeSafetensors(images, file); !st) return st.error();
        files.push_back(images);
        return files;
    });
}

}  // namespace cx::engine
