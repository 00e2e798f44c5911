// Pictures inside the diagram's vertices: what each unit looks for. A first-layer filter shows
// its weights over the input's colour channels; a deeper unit shows the part of its
// top-activating image that can reach it (Hamblin et al.'s extended circuit diagrams).
#include "engine/diagram/node_images.h"

#include <map>
#include <set>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/data/internal/job_inputs.h"
#include "engine/diagram/node_picture.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"

namespace cx::engine {
namespace {

struct TopActivation {
    double value = -std::numeric_limits<double>::infinity();
    int64_t image = -1, h = 0, w = 0;
};

bool readsOnlyTheInput(const LayerInfo& layer) {
    if (!layer.isConv() || layer.groups != 1 || layer.inputs.empty()) return false;
    for (const auto& seg : layer.inputs)
        if (seg.source != kModelInput || seg.mode != FlowMode::Identity) return false;
    return true;
}

// A filter's weights (C x kh x kw, or C x k for conv1d) around mid-grey: 0 is grey, the
// filter's largest |w| is full colour (or black).
NodeImage kernelPicture(const torch::Tensor& filter) {
    auto w = filter.detach().to(torch::kFloat32).cpu();
    if (w.dim() == 2) w = w.unsqueeze(1);
    const double scale = std::max(1e-12, w.abs().max().item<double>());
    return pictureOf(0.5 + 0.5 * w / scale, "kernel");
}

// An image in 0..1 (stretched over its own range, as the Data panel's thumbnails are).
torch::Tensor displayable(const torch::Tensor& image) {
    const auto lo = image.min(), hi = image.max();
    return (image - lo) / (hi - lo).clamp_min(1e-12);
}

// Every unit's top activation in each of `layers` (outputs: N x O x H x W or N x O),
// one truncated forward pass in batches.
Status findTopActivations(const Model& model, const torch::Tensor& images, const std::vector<int>& layers,
                          std::map<int, std::vector<TopActivation>>& out, const std::string& deviceName, JobContext& job) {
    std::vector<Probe> probes;
    for (int l : layers) probes.push_back({l, ProbeSide::Output});
    auto plan = ForwardPlan::build(model, probes, false, {}, deviceName);
    if (!plan) return plan.error();
    torch::NoGradGuard noGrad;
    const torch::Device device(deviceName);
    constexpr int64_t kBatch = 64;
    for (int64_t start = 0; start < images.size(0); start += kBatch) {
        if (job.cancelled()) return cancelledError();
        const int64_t n = std::min(kBatch, images.size(0) - start);
        const auto outputs = plan.value().run({images.narrow(0, start, n).to(device)}).probes;
        for (size_t p = 0; p < layers.size(); ++p) {
            auto y = outputs[p].to(torch::kFloat32);
            if (y.dim() != 4 && y.dim() != 2) continue;  // conv maps N x O x H x W, or neurons N x O
            const int64_t units = y.size(1), width = y.dim() == 4 ? y.size(3) : 1;
            auto flat = y.reshape({n, units, -1});  // positions last
            auto [bestPerImage, where] = flat.max(2);
            auto [bestOn, imageOn] = bestPerImage.max(0);
            // Per-unit reads from the CPU: one transfer per batch, not three per unit.
            const auto best = bestOn.cpu(), image = imageOn.cpu(), at = where.gather(0, imageOn.unsqueeze(0)).squeeze(0).cpu();
            auto& tops = out[layers[p]];
            tops.resize(size_t(units));
            for (int64_t u = 0; u < units; ++u) {
                const double v = best[u].item<double>();
                if (v <= tops[size_t(u)].value) continue;
                const int64_t i = image[u].item<int64_t>(), pos = at[u].item<int64_t>();
                tops[size_t(u)] = {v, start + i, pos / width, pos % width};
            }
        }
        job.progress("node images", double(start + n) / double(images.size(0)));
    }
    return Done{};
}

// For each (unit, top activation) of a 2-d convolution: the box of input pixels whose gradient
// reaches that output position, as (top, left, bottom, right) inclusive. One backward pass
// for the given units (the model is in eval mode, so the images do not interact).
std::vector<std::array<int64_t, 4>> receptiveBoxesOf(const ForwardPlan& plan, const torch::Tensor& images,
                                                     const std::vector<int64_t>& units, const std::vector<TopActivation>& tops,
                                                     const torch::Device& device) {
    std::vector<int64_t> which;
    for (int64_t u : units) which.push_back(tops[size_t(u)].image);
    auto x = images.index_select(0, torch::tensor(which)).to(device).requires_grad_(true);
    auto y = plan.run({x}).probes[0];
    if (y.dim() != 4) return {};
    std::vector<int64_t> hs, ws;
    for (int64_t u : units) {
        hs.push_back(tops[size_t(u)].h);
        ws.push_back(tops[size_t(u)].w);
    }
    const auto on = [&](const torch::Tensor& t) { return t.to(device); };
    const auto picked =
        y.index({on(torch::arange(int64_t(units.size()))), on(torch::tensor(units)), on(torch::tensor(hs)), on(torch::tensor(ws))});
    // autograd::grad, not backward(): the model's parameters collect no gradients.
    const auto g = torch::autograd::grad({picked.sum()}, {x})[0].abs().sum(1).cpu();  // K x H x W
    std::vector<std::array<int64_t, 4>> boxes;
    for (int64_t i = 0; i < int64_t(units.size()); ++i) {
        auto gi = g[i];
        const double peak = gi.max().item<double>();
        if (peak <= 0) {
            boxes.push_back({0, 0, gi.size(0) - 1, gi.size(1) - 1});
            continue;
        }
        auto hit = (gi > peak * 1e-4).nonzero();  // (row, col) pairs
        auto lo = std::get<0>(hit.min(0)), hi = std::get<0>(hit.max(0));
        boxes.push_back({lo[0].item<int64_t>(), lo[1].item<int64_t>(), hi[0].item<int64_t>(), hi[1].item<int64_t>()});
    }
    return boxes;
}

// The same in chunks of units, so a wide layer's backward pass stays small.
std::vector<std::array<int64_t, 4>> receptiveBoxes(const Model& model, const torch::Tensor& images, int layer,
                                                   const std::vector<int64_t>& units, const std::vector<TopActivation>& tops,
                                                   const std::string& device) {
    auto plan = ForwardPlan::build(model, {{layer, ProbeSide::Output}}, false, {}, device);
    if (!plan) return {};
    constexpr size_t kChunk = 64;
    std::vector<std::array<int64_t, 4>> boxes;
    for (size_t start = 0; start < units.size(); start += kChunk) {
        const std::vector<int64_t> chunk(units.begin() + long(start), units.begin() + long(std::min(units.size(), start + kChunk)));
        auto part = receptiveBoxesOf(plan.value(), images, chunk, tops, torch::Device(device));
        if (part.size() != chunk.size()) return {};
        boxes.insert(boxes.end(), part.begin(), part.end());
    }
    return boxes;
}

// Pictures that need no data: the input's colour channels and the first layer's filters.
// Returns the deeper layers' nodes, which need top-activating images.
std::map<int, std::vector<size_t>> addWeightPictures(CircuitDiagram& diagram, const Model& model, int64_t channels) {
    const auto& summary = model.summary();
    std::map<int, std::vector<size_t>> deeper;  // layer -> nodes
    for (size_t i = 0; i < diagram.nodes.size(); ++i) {
        auto& n = diagram.nodes[i];
        if (n.kind != NodeKind::Unit) continue;  // a block or layer vertex has no picture
        if (n.layer < 0) {
            if (channels == 3 && n.unit >= 0 && n.unit < 3) {
                auto swatch = torch::zeros({3, 1, 1});
                swatch[n.unit] = 1.0;
                n.image = pictureOf(swatch, "channel");
            }
        } else if (readsOnlyTheInput(summary.layers[size_t(n.layer)])) {
            const auto& weight = model.impl().param(summary.layers[size_t(n.layer)].param);
            if (n.unit < weight.size(0)) n.image = kernelPicture(weight[n.unit]);
        } else {
            deeper[n.layer].push_back(i);
        }
    }
    return deeper;
}

using LayerTops = std::vector<TopActivation>;

// Every unit's top activation in `layers`, from the workspace's memory; only layers not seen
// before on these images run them.
Result<std::map<int, std::shared_ptr<const LayerTops>>> topActivations(Workspace::Impl& ws, const std::string& imagesKey,
                                                                       const torch::Tensor& images, const std::vector<int>& layers,
                                                                       JobContext& job) {
    std::map<int, std::shared_ptr<const LayerTops>> tops;
    std::vector<int> missing;
    const auto keyOf = [&](int layer) { return "top|" + imagesKey + "|" + std::to_string(layer); };
    for (int layer : layers) {
        if (auto cached = ws.find<LayerTops>(keyOf(layer))) tops[layer] = cached;
        else missing.push_back(layer);
    }
    if (missing.empty()) return tops;
    std::map<int, LayerTops> found;
    if (auto st = findTopActivations(*ws.model, images, missing, found, defaultDevice(), job); !st) return st.error();
    ws.count(&WorkspaceStats::topActivationRuns);
    for (auto& [layer, t] : found) {
        auto kept = std::make_shared<const LayerTops>(std::move(t));
        ws.keep(keyOf(layer), kept, kept->size() * sizeof(TopActivation));
        tops[layer] = kept;
    }
    return tops;
}

// Each node's receptive-field crop of its top-activating image (the whole image for a unit
// with no spatial map). Pictures are kept in the workspace per images and unit: a re-pruned
// circuit computes only its new units' crops.
void addCropPictures(CircuitDiagram& diagram, Workspace::Impl& ws, const std::string& imagesKey, const torch::Tensor& images,
                     int layer, const std::vector<size_t>& nodes, const LayerTops& t) {
    const Model& model = *ws.model;
    const auto keyOf = [&](int64_t unit) { return "picture|" + imagesKey + "|" + std::to_string(layer) + ":" + std::to_string(unit); };
    std::vector<int64_t> units;
    std::vector<size_t> drawn;
    for (size_t i : nodes) {
        const int64_t u = diagram.nodes[i].unit;
        if (u < 0 || u >= int64_t(t.size()) || t[size_t(u)].image < 0) continue;
        if (auto cached = ws.find<NodeImage>(keyOf(u))) {
            diagram.nodes[i].image = *cached;
            continue;
        }
        units.push_back(u);
        drawn.push_back(i);
    }
    if (units.empty()) return;
    const bool conv = model.summary().layers[size_t(layer)].isConv();
    const auto boxes = conv ? receptiveBoxes(model, images, layer, units, t, defaultDevice()) : std::vector<std::array<int64_t, 4>>{};
    for (size_t k = 0; k < units.size(); ++k) {
        const auto& top = t[size_t(units[k])];
        const auto image = displayable(images[top.image].to(torch::kFloat32));
        NodeImage picture;
        if (k < boxes.size()) {
            const auto& [r0, c0, r1, c1] = boxes[k];
            picture = pictureOf(image.narrow(1, r0, r1 - r0 + 1).narrow(2, c0, c1 - c0 + 1), "crop");
        } else {
            picture = pictureOf(image, "image");
        }
        picture.activation = top.value;
        picture.imageIndex = top.image;
        const size_t bytes = sizeof(NodeImage) + picture.rgb.size();
        auto kept = std::make_shared<const NodeImage>(picture);
        ws.keep(keyOf(units[k]), kept, bytes);
        diagram.nodes[drawn[k]].image = std::move(picture);
    }
}

Status addPictures(CircuitDiagram& diagram, Workspace::Impl& ws, const std::string& imagesPath, JobContext& job,
                   int64_t maxImages) {
    const Model& model = *ws.model;
    const int64_t channels = inputChannels(model.summary());
    if (channels != 1 && channels != 3) return Done{};  // not an image model: the view draws glyphs
    return guarded<Done>("node images", [&]() -> Result<Done> {
        const auto deeper = addWeightPictures(diagram, model, channels);
        if (imagesPath.empty() || deeper.empty()) return Done{};
        ImageOptions options;
        options.limit = maxImages;
        auto set = ws.images(imagesPath, options);
        if (!set) return set.error();
        const auto& images = set.value()->images;
        if (images.dim() != 4) return Done{};
        std::vector<int> layers;
        for (const auto& entry : deeper) layers.push_back(entry.first);
        const std::string imagesKey = Workspace::Impl::imagesKey(imagesPath, options);
        auto tops = topActivations(ws, imagesKey, images, layers, job);
        if (!tops) return tops.error();
        for (const auto& [layer, nodes] : deeper) {
            if (job.cancelled()) return cancelledError();
            addCropPictures(diagram, ws, imagesKey, images, layer, nodes, *tops.value().at(layer));
        }
        return Done{};
    });
}

}  // namespace

Status addNodeImages(CircuitDiagram& diagram, Workspace& workspace, const std::string& imagesPath, JobContext& job,
                     int64_t maxImages) {
    initRuntime();
    return addPictures(diagram, workspace.impl(), imagesPath, job, maxImages);
}

Status addNodeImages(CircuitDiagram& diagram, const std::string& modelPath, const std::string& imagesPath, JobContext& job,
                     int64_t maxImages) {
    auto workspace = Workspace::open(modelPath);
    if (!workspace) return workspace.error();
    return addNodeImages(diagram, *workspace.value(), imagesPath, job, maxImages);
}

Result<std::vector<NodeImage>> layerUnitPictures(Workspace& workspace, const std::string& images, const std::string& layerName,
                                                 JobContext& job, int64_t maxImages) {
    initRuntime();
    const auto& summary = workspace.summary();
    const int layer = summary.indexOf(layerName);
    if (layer < 0) return invalidInput("the model has no layer '" + layerName + "'");
    // A diagram of the layer's units alone: its pictures are what circuits would show.
    CircuitDiagram units;
    for (int64_t u = 0; u < summary.layers[size_t(layer)].outChannels; ++u) {
        DiagramNode node;
        node.layer = layer;
        node.unit = u;
        units.nodes.push_back(node);
    }
    if (auto st = addPictures(units, workspace.impl(), images, job, maxImages); !st) return st.error();
    std::vector<NodeImage> out;
    for (auto& n : units.nodes) out.push_back(std::move(n.image));
    return out;
}

Result<std::vector<NodeImage>> layerUnitPictures(const std::string& modelPath, const std::string& images, const std::string& layerName,
                                                 JobContext& job, int64_t maxImages) {
    auto workspace = Workspace::open(modelPath);
    if (!workspace) return workspace.error();
    return layerUnitPictures(*workspace.value(), images, layerName, job, maxImages);
}

}  // namespace cx::engine
