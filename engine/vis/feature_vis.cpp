// Feature visualisation: batches of objectives, each image its own Fourier spectrum, its own
// transform draws and its own seed, so that a picture does not depend on the batch it ran in
// (Adam is element-wise and the loss a sum over images): that is what lets a cache entry stand
// for one objective.
#include "engine/vis/feature_vis.h"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/data/internal/job_inputs.h"
#include "engine/diagram/node_picture.h"
#include "engine/io/internal/tensor_io.h"
#include "engine/io/safetensors.h"
#include "engine/io/sha256.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/pruning/internal/mask_function.h"
#include "engine/vis/internal/fourier_image.h"
#include "engine/vis/internal/vis_transforms.h"

namespace cx::engine {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kCropSide = 128;  // crops are shrunk to at most this many pixels a side
constexpr const char* kFormat = "cx-vis/1";

uint64_t fnv1a(const std::string& text, uint64_t seed) {
    uint64_t h = 1469598103934665603ull ^ seed;
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
    return h;
}

// Everything a picture depends on, as text: its cache key is the digest of this.
std::string cacheText(const ModelSummary& summary, const std::string& maskDigest, const VisObjective& o,
                      const VisSettings& s) {
    std::ostringstream t;
    t.precision(17);
    t << kFormat << '|' << summary.sha256 << '|' << maskDigest << '|' << o.text() << '|';
    for (double d : o.direction) t << d << ',';
    t << '|' << s.steps << '|' << s.learningRate << '|' << s.height << 'x' << s.width << '|' << s.normalize << '|';
    for (int c = 0; c < 3; ++c) t << s.mean[size_t(c)] << '/' << s.std[size_t(c)] << ',';
    t << '|' << s.transforms << '|' << s.seed << '|';
    for (int k : s.snapshots) t << k << ',';
    return t.str();
}

// A digest of what a mask keeps (its grids and the scheme that runs them).
std::string maskDigest(const Mask* mask) {
    if (!mask) return "model";
    std::string bytes;
    for (const auto& [layer, grid] : mask->data.masks) {
        const auto kept = grid.to(torch::kUInt8).contiguous().cpu();
        bytes += std::to_string(layer) + ':';
        bytes.append(reinterpret_cast<const char*>(kept.data_ptr<uint8_t>()), size_t(kept.numel()));
    }
    for (const auto& [key, value] : mask->data.metadata)
        if (key == "bias" || key == "effective_kept" || key == "target" || key == "direction" || key == "granularity")
            bytes += '|' + key + '=' + value;
    return sha256Hex(bytes.data(), bytes.size());
}

struct Prepared {
    int layer = -1;
    bool spatial = false;  // the layer's output has positions (a convolution)
};

Result<Prepared> prepare(const ModelSummary& summary, const VisObjective& o) {
    const int layer = summary.indexOf(o.layer);
    if (layer < 0) return invalidInput("the model has no layer '" + o.layer + "'");
    const auto& info = summary.layers[size_t(layer)];
    if (info.inControlFlow) return invalidInput("layer '" + o.layer + "' runs inside control flow and cannot be probed");
    if (o.kind == VisKind::Direction) {
        if (int64_t(o.direction.size()) != info.outChannels)
            return invalidInput("the direction has " + std::to_string(o.direction.size()) + " coefficients; layer '" +
                                o.layer + "' has " + std::to_string(info.outChannels) + " channels");
    } else if (o.unit < 0 || o.unit >= info.outChannels) {
        return invalidInput("unit " + std::to_string(o.unit) + " is out of range: layer '" + o.layer + "' has " +
                            std::to_string(info.outChannels) + " units");
    }
    if (info.kind == LayerKind::Conv1d) return invalidInput("layer '" + o.layer + "' is a 1-d convolution: feature visualisation needs images");
    return Prepared{layer, info.kind == LayerKind::Conv2d};
}

// One image's objective from its layer output: O x H x W (convolutions) or O (linear).
torch::Tensor objectiveOf(const torch::Tensor& y, const VisObjective& o, const torch::Tensor& direction) {
    torch::Tensor value;
    if (o.kind == VisKind::Direction) {
        auto d = direction.to(y.device());
        value = y.dim() == 3 ? (y * d.view({-1, 1, 1})).sum(0).mean() : (y * d).sum();
    } else if (y.dim() == 3 && o.kind == VisKind::Neuron) {
        value = y[o.unit][y.size(1) / 2][y.size(2) / 2];
    } else {
        value = y.dim() == 3 ? y[o.unit].mean() : y[o.unit];
    }
    return o.negative ? -value : value;
}

torch::Tensor normalised(const torch::Tensor& x, const VisSettings& s) {
    if (!s.normalize) return x;
    const int64_t c = x.size(1);
    auto mean = torch::tensor(std::vector<float>(s.mean.begin(), s.mean.begin() + c)).view({1, c, 1, 1}).to(x.device());
    auto std = torch::tensor(std::vector<float>(s.std.begin(), s.std.begin() + c)).view({1, c, 1, 1}).to(x.device());
    return (x - mean) / std;
}

std::vector<float> floats(const torch::Tensor& t) {
    const auto c = t.detach().to(torch::kFloat32).contiguous().cpu();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// The crop of the optimised position's receptive field (a neuron of a convolution), the whole
// image otherwise, with the reason.
void addCrop(VisPicture& p, const LayerInfo& layer, int64_t mapH, int64_t mapW, const torch::Tensor& image) {
    using Kind = ReceptiveField::Kind;
    int64_t box[4] = {0, 0, p.height - 1, p.width - 1};
    if (p.objective.kind != VisKind::Neuron || layer.kind != LayerKind::Conv2d) {
        p.cropNote = layer.kind == LayerKind::Conv2d ? "the objective covers every position" : "a linear unit sees the whole image";
    } else if (layer.field.kind == Kind::Exact) {
        layer.field.box(mapH / 2, mapW / 2, p.height, p.width, box);
        if (layer.field.globalGain) p.cropNote = "every pixel also reaches it through a squeeze-and-excitation gate";
    } else {
        p.cropNote = layer.field.kind == Kind::Whole ? "every pixel reaches it" : "receptive field unknown: " + layer.field.reason;
    }
    std::copy(box, box + 4, p.box.begin());
    p.crop = pictureOf(image.narrow(1, box[0], box[2] - box[0] + 1).narrow(2, box[1], box[3] - box[1] + 1), "visualisation", kCropSide);
    p.crop.activation = p.activation;
}

std::string cachePath(const VisSettings& s, const std::string& key) { return (fs::path(s.cacheDir) / (key + ".safetensors")).string(); }

// A cached picture, or nothing (absent, unreadable or of other settings: computed again).
std::optional<VisPicture> readCached(const std::string& path, const VisObjective& o, const VisSettings& s, int64_t channels) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::nullopt;
    auto file = readSafetensors(path);
    if (!file) return std::nullopt;
    const auto& meta = file.value().metadata;
    auto get = [&](const std::string& k) { auto it = meta.find(k); return it == meta.end() ? std::string() : it->second; };
    auto image = file.value().tensors.find("image");
    if (get("format") != kFormat || image == file.value().tensors.end()) return std::nullopt;
    auto t = blobToTensor(image->second, "image");
    if (!t || t.value().dim() != 3 || t.value().size(0) != channels || t.value().size(1) != s.height || t.value().size(2) != s.width)
        return std::nullopt;
    VisPicture p;
    p.objective = o;
    p.channels = channels, p.height = s.height, p.width = s.width;
    p.image = floats(t.value());
    p.activation = std::strtod(get("activation").c_str(), nullptr);
    p.cropNote = get("crop_note");
    p.flat = get("flat") == "1";
    std::istringstream box(get("box"));
    for (auto& v : p.box) box >> v;
    for (size_t k = 0; k < s.snapshots.size(); ++k) {
        auto snap = file.value().tensors.find("snapshot/" + std::to_string(k));
        if (snap == file.value().tensors.end()) return std::nullopt;
        auto st = blobToTensor(snap->second, "snapshot");
        if (!st) return std::nullopt;
        p.snapshots.push_back(floats(st.value()));
    }
    const auto& b = p.box;
    if (b[0] < 0 || b[1] < 0 || b[2] >= s.height || b[3] >= s.width || b[0] > b[2] || b[1] > b[3]) return std::nullopt;
    p.crop = pictureOf(t.value().narrow(1, b[0], b[2] - b[0] + 1).narrow(2, b[1], b[3] - b[1] + 1), "visualisation", kCropSide);
    p.crop.activation = p.activation;
    p.fromCache = true;
    return p;
}

void writeCached(const std::string& path, const VisPicture& p, const std::string& text) {
    SafetensorsFile file;
    std::ostringstream activation, box;
    activation.precision(17);
    activation << p.activation;
    box << p.box[0] << ' ' << p.box[1] << ' ' << p.box[2] << ' ' << p.box[3];
    file.metadata = {{"format", kFormat}, {"objective", p.objective.text()}, {"activation", activation.str()},
                     {"box", box.str()}, {"crop_note", p.cropNote}, {"flat", p.flat ? "1" : "0"}, {"key_text", text}};
    auto shape = [&](const std::vector<float>& v) {
        return torch::from_blob(const_cast<float*>(v.data()), {p.channels, p.height, p.width}, torch::kFloat32);
    };
    file.tensors["image"] = tensorToBlob(shape(p.image));
    for (size_t k = 0; k < p.snapshots.size(); ++k) file.tensors["snapshot/" + std::to_string(k)] = tensorToBlob(shape(p.snapshots[k]));
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    (void)writeSafetensors(path, file);  // a cache that cannot be written only costs time
}

struct Pending {
    size_t index;  // into the objectives
    Prepared prepared;
    std::string key, text;
};

// Optimises one batch of objectives together. Returns false when cancelled.
bool optimiseBatch(const Model& model, const std::vector<Pending>& batch, const std::vector<VisObjective>& objectives,
                   const Overrides& overrides, const VisSettings& s, int64_t channels, const std::string& device,
                   int64_t& stepsDone, int64_t stepsTotal, JobContext& job, std::vector<VisPicture>& out) {
    const auto& summary = model.summary();
    std::vector<Probe> probes;
    std::vector<size_t> probeOf;  // per image: which probe holds its layer
    for (const auto& p : batch) {
        size_t k = 0;
        while (k < probes.size() && probes[k].layer != p.prepared.layer) ++k;
        if (k == probes.size()) probes.push_back({p.prepared.layer, ProbeSide::Output});
        probeOf.push_back(k);
    }
    auto plan = ForwardPlan::build(model, probes, false, overrides.params, device).take();
    torch::AutoGradMode gradients(true);  // whatever the calling thread had set
    const int64_t n = int64_t(batch.size());
    std::vector<uint64_t> seeds;
    std::vector<std::mt19937_64> rngs;
    std::vector<torch::Tensor> directions;
    for (const auto& p : batch) {
        seeds.push_back(fnv1a(p.text, s.seed));
        rngs.emplace_back(fnv1a(p.text, s.seed + 1));
        const auto& d = objectives[p.index].direction;
        directions.push_back(torch::tensor(std::vector<float>(d.begin(), d.end())));
    }
    FourierImage param(n, channels, s.height, s.width, seeds);
    param.to(torch::Device(device));
    torch::optim::Adam adam({param.spectrum()}, torch::optim::AdamOptions(s.learningRate));
    const torch::Device dev(device);
    const auto run = [&](const torch::Tensor& images) { return plan.run({normalised(images, s)}, overrides.tensors).probes; };
    const auto total = [&](const std::vector<torch::Tensor>& ys) {
        torch::Tensor loss = torch::zeros({}, torch::TensorOptions().device(dev));
        for (int64_t b = 0; b < n; ++b)
            loss = loss - objectiveOf(ys[probeOf[size_t(b)]][b], objectives[batch[size_t(b)].index], directions[size_t(b)]);
        return loss;
    };
    std::vector<std::vector<std::vector<float>>> snapshots{size_t(n)};
    // Images whose objective ever had a gradient: the others do not depend on the input at all.
    auto moved = torch::zeros({n}, torch::TensorOptions().dtype(torch::kBool).device(dev));
    for (int step = 1; step <= s.steps; ++step) {
        if (job.cancelled()) return false;
        auto images = param.image();
        if (s.transforms) {
            std::vector<TransformDraw> draws;
            for (auto& rng : rngs) draws.push_back(drawTransform(rng));
            images = applyTransforms(images, draws);
        }
        adam.zero_grad();
        total(run(images)).backward();
        moved = moved.logical_or(param.spectrum().grad().flatten(1).abs().amax(1) > 0);
        adam.step();
        if (std::find(s.snapshots.begin(), s.snapshots.end(), step) != s.snapshots.end()) {
            torch::NoGradGuard off;
            const auto now = param.image();
            for (int64_t b = 0; b < n; ++b) snapshots[size_t(b)].push_back(floats(now[b]));
        }
        stepsDone += n;
        job.progress("visualise", double(stepsDone) / double(stepsTotal));
    }
    torch::NoGradGuard off;
    const auto final = param.image();
    const auto ys = run(final);
    for (int64_t b = 0; b < n; ++b) {
        const auto& pending = batch[size_t(b)];
        const auto& o = objectives[pending.index];
        const auto& y = ys[probeOf[size_t(b)]];
        VisPicture p;
        p.objective = o;
        p.channels = channels, p.height = s.height, p.width = s.width;
        const auto image = final[b].cpu();
        p.image = floats(image);
        p.activation = objectiveOf(y[b], o, directions[size_t(b)]).item<double>();
        if (o.negative) p.activation = -p.activation;  // the unit's own value, not the minimised one
        p.snapshots = std::move(snapshots[size_t(b)]);
        p.flat = !moved[b].item<bool>();
        addCrop(p, summary.layers[size_t(pending.prepared.layer)], y.dim() == 4 ? y.size(2) : 1, y.dim() == 4 ? y.size(3) : 1, image);
        out[pending.index] = std::move(p);
    }
    return true;
}

}  // namespace

std::string VisObjective::text() const {
    std::string t = layer + (kind == VisKind::Direction ? "" : ":" + std::to_string(unit));
    if (kind == VisKind::Channel) t += " channel";
    if (kind == VisKind::Direction) t += " direction";
    if (negative) t += " negative";
    return t;
}

std::string defaultVisCacheDir() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    const fs::path base = xdg && *xdg ? fs::path(xdg) : fs::path(home && *home ? home : ".") / ".cache";
    return (base / "circuit-explorer" / "visualisations").string();
}

Result<std::vector<VisPicture>> visualizeUnits(Workspace& workspace, const MaskHandle& mask,
                                               const std::vector<VisObjective>& objectives, const VisSettings& s,
                                               JobContext& job, const std::function<void(const VisPicture&)>& onPicture) {
    initRuntime();
    const Model& model = *workspace.model();
    const auto& summary = model.summary();
    const int64_t channels = inputChannels(summary);
    if (channels != 1 && channels != 3)
        return invalidInput("feature visualisation needs a model whose input is a 1- or 3-channel image");
    if (objectives.empty()) return invalidInput("no unit to visualise");
    if (s.steps < 1 || s.height < 8 || s.width < 8 || s.batch < 1 || !(s.learningRate > 0))
        return invalidInput("visualisation settings out of range (steps >= 1, size >= 8, batch >= 1, learning rate > 0)");
    for (int k : s.snapshots)
        if (k < 1 || k > s.steps) return invalidInput("snapshot step " + std::to_string(k) + " is outside 1.." + std::to_string(s.steps));
    std::vector<Pending> pending;
    std::vector<VisPicture> out(objectives.size());
    const std::string digest = maskDigest(mask.get());
    for (size_t i = 0; i < objectives.size(); ++i) {
        auto prepared = prepare(summary, objectives[i]);
        if (!prepared) return prepared.error();
        const std::string text = cacheText(summary, digest, objectives[i], s);
        const std::string key = sha256Hex(text.data(), text.size());
        if (!s.cacheDir.empty())
            if (auto cached = readCached(cachePath(s, key), objectives[i], s, channels)) {
                out[i] = std::move(*cached);
                if (onPicture) onPicture(out[i]);
                continue;
            }
        pending.push_back({i, prepared.value(), key, text});
    }
    if (pending.empty()) return out;
    return guarded<std::vector<VisPicture>>("feature visualisation", [&]() -> Result<std::vector<VisPicture>> {
        const std::string device = defaultDevice();
        auto circuit = overridesOf(model, mask, device);
        if (!circuit) return circuit.error();
        const Overrides overrides = circuit.take();
        int64_t stepsDone = 0;
        const int64_t stepsTotal = int64_t(pending.size()) * s.steps;
        for (size_t start = 0; start < pending.size(); start += size_t(s.batch)) {
            const std::vector<Pending> batch(pending.begin() + long(start),
                                             pending.begin() + long(std::min(pending.size(), start + size_t(s.batch))));
            if (!optimiseBatch(model, batch, objectives, overrides, s, channels, device, stepsDone, stepsTotal, job, out))
                return cancelledError();
            for (const auto& p : batch) {
                if (!s.cacheDir.empty()) writeCached(cachePath(s, p.key), out[p.index], p.text);
                if (onPicture) onPicture(out[p.index]);
            }
        }
        return out;
    });
}

Status addVisualisationPictures(CircuitDiagram& diagram, Workspace& workspace, const MaskHandle& mask,
                                const VisSettings& settings, JobContext& job,
                                const std::function<void(size_t node, const NodeImage& picture)>& onNode) {
    std::vector<VisObjective> objectives;
    std::map<std::pair<std::string, int64_t>, size_t> nodeOf;  // a diagram draws each unit once
    for (size_t i = 0; i < diagram.nodes.size(); ++i) {
        const auto& n = diagram.nodes[i];
        if (n.kind != NodeKind::Unit || n.layer < 0) continue;
        const std::string& layer = workspace.summary().layers[size_t(n.layer)].name;
        if (!nodeOf.emplace(std::make_pair(layer, n.unit), i).second) continue;
        VisObjective objective;
        objective.layer = layer;
        objective.unit = n.unit;
        objectives.push_back(objective);
    }
    if (objectives.empty()) return Done{};
    const auto place = [&](const VisPicture& p) {
        const size_t node = nodeOf.at({p.objective.layer, p.objective.unit});
        diagram.nodes[node].image = p.crop;
        if (onNode) onNode(node, p.crop);
    };
    auto pictures = visualizeUnits(workspace, mask, objectives, settings, job, place);
    if (!pictures) return pictures.error();
    for (const auto& p : pictures.value()) diagram.nodes[nodeOf.at({p.objective.layer, p.objective.unit})].image = p.crop;
    return Done{};
}

}  // namespace cx::engine
