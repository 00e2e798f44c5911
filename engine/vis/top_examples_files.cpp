// Dataset examples as contact sheets: one PNG per unit, a row of patches per network.
#include <filesystem>

#include "engine/core/internal/guard.h"
#include "engine/data/internal/image_set.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/vis/top_examples.h"

namespace cx::engine {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kGap = 2;

// The patch in 0..1 (stretched over its image's range), scaled so its longer side is `cell`
// (bilinear up, area down), centred on a white `cell` square.
torch::Tensor cellOf(const torch::Tensor& images, const TopExample& e, int64_t cell) {
    auto image = images[e.image].to(torch::kFloat32);
    if (image.size(0) == 1) image = image.expand({3, -1, -1});
    const auto lo = image.min(), hi = image.max();
    image = (image - lo) / (hi - lo).clamp_min(1e-12);
    const auto& b = e.box;
    auto patch = image.narrow(1, b[0], b[2] - b[0] + 1).narrow(2, b[1], b[3] - b[1] + 1).unsqueeze(0);
    const double scale = double(cell) / double(std::max(patch.size(2), patch.size(3)));
    const int64_t h = std::max<int64_t>(1, std::lround(patch.size(2) * scale)), w = std::max<int64_t>(1, std::lround(patch.size(3) * scale));
    namespace F = torch::nn::functional;
    patch = scale >= 1 ? F::interpolate(patch, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kNearest))
                       : F::interpolate(patch, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kArea));
    auto out = torch::ones({3, cell, cell});
    out.narrow(1, (cell - h) / 2, h).narrow(2, (cell - w) / 2, w).copy_(patch[0]);
    return out;
}

std::string stemOf(const std::string& layer, int64_t unit) {
    std::string name = layer;
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    return name + "_" + std::to_string(unit);
}

}  // namespace

Result<std::vector<std::string>> writeExampleSheets(Workspace& workspace, const std::string& imagesPath,
                                                    const TopExamplesResult& model, const TopExamplesResult* circuit,
                                                    const std::string& dir, int64_t cell) {
    if (circuit && circuit->units.size() != model.units.size()) return invalidInput("the circuit's examples are of other units");
    auto set = workspace.impl().images(imagesPath, {});
    if (!set) return set.error();
    const torch::Tensor& images = set.value()->images;
    return guarded<std::vector<std::string>>("writing dataset examples", [&]() -> Result<std::vector<std::string>> {
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) return ioError("cannot create " + dir + ": " + ec.message());
        std::vector<std::string> files;
        for (size_t u = 0; u < model.units.size(); ++u) {
            std::vector<const UnitExamples*> rows = {&model.units[u]};
            if (circuit) rows.push_back(&circuit->units[u]);
            size_t columns = 0;
            for (const auto* r : rows) columns = std::max(columns, r->top.size());
            const int64_t width = int64_t(columns) * (cell + kGap) + kGap, height = int64_t(rows.size()) * (cell + kGap) + kGap;
            auto sheet = torch::ones({3, height, std::max<int64_t>(width, 1)});
            for (size_t r = 0; r < rows.size(); ++r)
                for (size_t c = 0; c < rows[r]->top.size(); ++c)
                    sheet.narrow(1, kGap + int64_t(r) * (cell + kGap), cell)
                        .narrow(2, kGap + int64_t(c) * (cell + kGap), cell)
                        .copy_(cellOf(images, rows[r]->top[c], cell));
            const std::string path = (fs::path(dir) / (stemOf(model.layer, model.units[u].unit) + ".png")).string();
            if (auto st = savePng(path, sheet); !st) return st.error();
            files.push_back(path);
        }
        return files;
    });
}

Status writePatchSheet(Workspace& workspace, const std::string& imagesPath, const std::vector<TopExample>& patches,
                       const std::string& path, int64_t columns, int64_t cell) {
    if (patches.empty()) return invalidInput("no patches to draw into " + path);
    if (columns < 1 || cell < 1) return invalidInput("a patch sheet needs at least one column of cells");
    auto set = workspace.impl().images(imagesPath, {});
    if (!set) return set.error();
    const torch::Tensor& images = set.value()->images;
    return guarded<Done>("writing a patch sheet", [&]() -> Result<Done> {
        const int64_t n = int64_t(patches.size()), across = std::min(columns, n), down = (n + across - 1) / across;
        auto sheet = torch::ones({3, down * (cell + kGap) + kGap, across * (cell + kGap) + kGap});
        for (int64_t i = 0; i < n; ++i)
            sheet.narrow(1, kGap + (i / across) * (cell + kGap), cell)
                .narrow(2, kGap + (i % across) * (cell + kGap), cell)
                .copy_(cellOf(images, patches[size_t(i)], cell));
        if (auto st = savePng(path, sheet); !st) return st.error();
        return Done{};
    });
}

}  // namespace cx::engine
