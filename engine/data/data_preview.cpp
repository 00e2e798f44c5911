#include "engine/data/data_preview.h"

#include "engine/data/arithmetic.h"
#include "engine/data/internal/arithmetic_data.h"

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/data/internal/image_set.h"
#include "engine/data/internal/job_inputs.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/model/model.h"

namespace cx::engine {
namespace {

Thumbnail thumbnailOf(const torch::Tensor& image) {  // C x H x W, any range
    auto rgb = image.size(0) == 3 ? image : image.narrow(0, 0, 1).expand({3, image.size(1), image.size(2)});
    const auto lo = rgb.min(), hi = rgb.max();
    auto scaled = ((rgb - lo) / (hi - lo).clamp_min(1e-12) * 255.0).round().clamp(0, 255).to(torch::kUInt8);
    scaled = scaled.permute({1, 2, 0}).contiguous();
    Thumbnail t;
    t.height = int(image.size(1));
    t.width = int(image.size(2));
    t.rgb.assign(scaled.data_ptr<uint8_t>(), scaled.data_ptr<uint8_t>() + scaled.numel());
    return t;
}

}  // namespace

Result<DataPreview> previewImages(const std::string& path, int count, const ImageOptions& options) {
    initRuntime();
    ImageOptions limited = options;
    limited.limit = 0;  // labels and counts describe the whole set
    const auto op = parseArithmeticOp(path);
    auto set = op ? Result<ImageSet>(tokenSet(arithmeticTask(*op, ArithmeticSplit::HeldOut).inputs, path, 0)) : loadImages(path, limited);
    if (!set) return set.error();
    if (set.value().images.dim() == 2) {  // token ids, N x T
        DataPreview out;
        out.info = set.value().info;
        const auto ids = set.value().images.to(torch::kInt64).contiguous();
        for (int64_t i = 0; i < std::min<int64_t>(count, ids.size(0)); ++i) {
            std::string text;
            for (int64_t t = 0; t < ids.size(1); ++t) {
                const int64_t token = ids[i][t].item<int64_t>();
                // The demo's one-character symbols read as written ("37*45=2"); ids are spaced.
                text += op ? arithmeticTokenText(token) : (t ? " " : "") + std::to_string(token);
            }
            out.sequences.push_back(text);
        }
        return out;
    }
    return guarded<DataPreview>("image preview", [&]() -> Result<DataPreview> {
        DataPreview out;
        out.info = set.value().info;
        const auto& images = set.value().images;
        const auto& labels = set.value().labels;
        for (int64_t i = 0; i < std::min<int64_t>(count, images.size(0)); ++i) {
            auto t = thumbnailOf(images[i].to(torch::kFloat32));
            if (labels.defined() && labels.numel() > i) {
                const int64_t label = labels[i].item<int64_t>();
                const auto& names = out.info.classNames;
                t.label = label >= 0 && label < int64_t(names.size()) ? names[size_t(label)] : std::to_string(label);
            }
            out.thumbnails.push_back(std::move(t));
        }
        return out;
    });
}

Result<UnitActivations> unitMeanActivations(Workspace& workspace, const std::string& imagesPath, const std::string& layerName,
                                            JobContext& job, const ImageOptions& options) {
    initRuntime();
    const Model& model = *workspace.model();
    const auto& summary = model.summary();
    const int layer = summary.indexOf(layerName);
    if (layer < 0) return invalidInput("the model has no layer '" + layerName + "'");
    auto images = workspace.impl().images(imagesPath, options);
    if (!images) return images.error();
    return guarded<UnitActivations>("unit activations", [&]() -> Result<UnitActivations> {
        const std::string device = defaultDevice();
        auto plan = ForwardPlan::build(model, {{layer, ProbeSide::Output}}, false, {}, device);
        if (!plan) return plan.error();
        torch::NoGradGuard noGrad;
        const auto& all = images.value()->images;
        const bool conv = summary.layers[size_t(layer)].isConv();
        torch::Tensor sum;
        int64_t positions = 0;
        constexpr int64_t kBatch = 64;
        for (int64_t start = 0; start < all.size(0); start += kBatch) {
            if (job.cancelled()) return cancelledError();
            auto x = all.narrow(0, start, std::min(kBatch, all.size(0) - start)).to(torch::Device(device));
            auto y = torch::relu(plan.value().run({x}).probes[0]);
            // Units on dim 1 for convolutions, on the last dim for linear layers (N x O or N x T x O).
            auto flat = conv ? y.transpose(0, 1).reshape({y.size(1), -1}) : y.reshape({-1, y.size(-1)}).t();
            auto batchSum = flat.sum(1).to(torch::kFloat64);
            sum = sum.defined() ? sum + batchSum : batchSum;
            positions += flat.size(1);
            job.progress("activations", double(start + kBatch) / double(all.size(0)));
        }
        UnitActivations out;
        out.layer = layerName;
        out.images = all.size(0);
        auto mean = (sum / double(std::max<int64_t>(1, positions))).cpu().contiguous();
        out.mean.assign(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel());
        return out;
    });
}

Result<UnitActivations> unitMeanActivations(const std::string& modelPath, const std::string& imagesPath, const std::string& layerName,
                                            JobContext& job, const ImageOptions& options) {
    auto workspace = Workspace::open(modelPath);
    if (!workspace) return workspace.error();
    return unitMeanActivations(*workspace.value(), imagesPath, layerName, job, options);
}

}  // namespace cx::engine
