// Top-k dataset examples of a whole layer in one pass: per batch, each unit's best position on
// every image (a max over positions), merged with the running top-k of every unit by one topk
// over (kept k + batch) rows. Boxes come from the graph's receptive fields, not gradients.
#include "engine/vis/top_examples.h"

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/diagram/node_picture.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/pruning/internal/mask_function.h"
#include "engine/pruning/pruning.h"

namespace cx::engine {
namespace {

constexpr int64_t kBatch = 64;

// Each unit's box on an image of h x w for its best position (whole images where the field is
// not exact, with the reason).
void addBoxes(TopExamplesResult& out, const LayerInfo& info, int64_t h, int64_t w) {
    using Kind = ReceptiveField::Kind;
    if (info.kind != LayerKind::Conv2d) out.boxNote = "a linear unit sees the whole image";
    else if (info.field.kind == Kind::Whole) out.boxNote = "every pixel reaches it";
    else if (info.field.kind == Kind::Unknown) out.boxNote = "receptive field unknown: " + info.field.reason;
    else if (info.field.globalGain) out.boxNote = "every pixel also reaches it through a squeeze-and-excitation gate";
    for (auto& u : out.units)
        for (auto& e : u.top) {
            int64_t box[4] = {0, 0, h - 1, w - 1};
            if (info.kind == LayerKind::Conv2d) info.field.box(e.row, e.col, h, w, box);
            std::copy(box, box + 4, e.box.begin());
        }
}

}  // namespace

Result<TopExamplesResult> topExamples(Workspace& workspace, const MaskHandle& mask, const std::string& imagesPath,
                                      const std::string& layerName, const std::vector<int64_t>& unitsAsked, int64_t k,
                                      JobContext& job) {
    initRuntime();
    const Model& model = *workspace.model();
    const auto& summary = model.summary();
    const int layer = summary.indexOf(layerName);
    if (layer < 0) return invalidInput("the model has no layer '" + layerName + "'");
    const LayerInfo& info = summary.layers[size_t(layer)];
    if (k < 1) return invalidInput("--top must be at least 1, got " + std::to_string(k));
    std::vector<int64_t> units = unitsAsked;
    if (units.empty())
        for (int64_t u = 0; u < info.outChannels; ++u) units.push_back(u);
    for (int64_t u : units)
        if (u < 0 || u >= info.outChannels)
            return invalidInput("unit " + std::to_string(u) + " is outside " + layerName + "'s 0.." + std::to_string(info.outChannels - 1));
    auto set = workspace.impl().images(imagesPath, {});
    if (!set) return set.error();
    const torch::Tensor& images = set.value()->images;
    if (images.dim() != 4) return invalidInput(imagesPath + " holds token ids: dataset examples of images need an image model");
    return guarded<TopExamplesResult>("dataset examples", [&]() -> Result<TopExamplesResult> {
        const std::string device = defaultDevice();
        auto circuit = overridesOf(model, mask, device);
        if (!circuit) return circuit.error();
        const Overrides overrides = circuit.take();
        auto plan = ForwardPlan::build(model, {{layer, ProbeSide::Output}}, false, overrides.params, device);
        if (!plan) return plan.error();
        torch::NoGradGuard noGrad;
        const torch::Device on(device);
        const auto which = torch::tensor(units).to(on);
        const int64_t n = images.size(0), keep = std::min(k, n);
        torch::Tensor bestValue, bestImage, bestPosition;  // keep x U, running
        int64_t mapWidth = 1;
        for (int64_t start = 0; start < n; start += kBatch) {
            if (job.cancelled()) return cancelledError();
            const int64_t b = std::min(kBatch, n - start);
            auto y = plan.value().run({images.narrow(0, start, b).to(on)}, overrides.tensors).probes[0];
            if (y.dim() != 4 && y.dim() != 2 && y.dim() != 3)
                return invalidInput(layerName + "'s output is not a map or a vector of units (" + std::to_string(y.dim()) + " dimensions)");
            if (y.dim() == 3 && info.kind == LayerKind::Linear) y = y.transpose(1, 2);  // N x T x D: units last
            if (y.dim() >= 3) mapWidth = y.size(-1);
            y = y.to(torch::kFloat32).index_select(1, which);
            auto flat = y.reshape({b, int64_t(units.size()), -1});
            // The first largest position of each image (max's tie rule); values B x U.
            auto [value, position] = flat.max(2);
            auto image = torch::arange(start, start + b, torch::TensorOptions().dtype(torch::kInt64).device(on))
                             .unsqueeze(1).expand_as(value);
            if (bestValue.defined()) {  // the kept ones first: on equal values the earlier image wins
                value = torch::cat({bestValue, value});
                image = torch::cat({bestImage, image});
                position = torch::cat({bestPosition, position});
            }
            const int64_t take = std::min(keep, value.size(0));
            // A stable descending sort keeps the lower index first among equal values.
            auto order = std::get<1>(value.sort(/*stable=*/true, 0, /*descending=*/true)).narrow(0, 0, take);
            bestValue = value.gather(0, order);
            bestImage = image.gather(0, order);
            bestPosition = position.gather(0, order);
            job.progress("examples", double(start + b) / double(n));
        }
        const auto values = bestValue.cpu().to(torch::kFloat64), imagesOf = bestImage.cpu(), positions = bestPosition.cpu();
        TopExamplesResult out;
        out.layer = layerName;
        const auto v = values.accessor<double, 2>();
        const auto im = imagesOf.accessor<int64_t, 2>();
        const auto pos = positions.accessor<int64_t, 2>();
        for (size_t u = 0; u < units.size(); ++u) {
            UnitExamples ex;
            ex.unit = units[u];
            for (int64_t r = 0; r < values.size(0); ++r)
                ex.top.push_back({im[r][long(u)], pos[r][long(u)] / mapWidth, pos[r][long(u)] % mapWidth, v[r][long(u)], {}});
            out.units.push_back(std::move(ex));
        }
        addBoxes(out, info, images.size(2), images.size(3));
        return out;
    });
}

Result<NodeImage> examplePatch(Workspace& workspace, const std::string& imagesPath, const TopExample& e, int64_t maxSide) {
    auto set = workspace.impl().images(imagesPath, {});
    if (!set) return set.error();
    const torch::Tensor& images = set.value()->images;
    if (images.dim() != 4 || e.image < 0 || e.image >= images.size(0)) return invalidInput("no image " + std::to_string(e.image));
    const auto& b = e.box;
    if (b[0] < 0 || b[1] < 0 || b[2] >= images.size(2) || b[3] >= images.size(3) || b[0] > b[2] || b[1] > b[3])
        return invalidInput("the box lies outside image " + std::to_string(e.image));
    auto image = images[e.image].to(torch::kFloat32);
    if (image.size(0) != 1 && image.size(0) != 3) return invalidInput("a picture needs 1 or 3 channels");
    const auto lo = image.min(), hi = image.max();
    image = (image - lo) / (hi - lo).clamp_min(1e-12);
    NodeImage picture = pictureOf(image.narrow(1, b[0], b[2] - b[0] + 1).narrow(2, b[1], b[3] - b[1] + 1), "crop", maxSide);
    picture.activation = e.value;
    picture.imageIndex = e.image;
    return picture;
}

}  // namespace cx::engine
