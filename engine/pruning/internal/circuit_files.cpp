#include "engine/pruning/internal/circuit_files.h"

#include <sstream>

#include "engine/core/parse_number.h"
#include "engine/io/internal/tensor_io.h"
#include "engine/io/safetensors.h"
#include "engine/model/internal/heads.h"
#include "engine/model/internal/kernel_graph.h"
#include "engine/model/internal/model_impl.h"

namespace cx::engine {
namespace {

constexpr const char* kFormat = "cx-mask/1";

// Unit grids are output-major; a transposed-weight linear stores its weight as in x out, and
// its 2-d grids (kernel = weight) are written in that layout.
torch::Tensor toFileLayout(const LayerInfo& layer, const torch::Tensor& grid) {
    return layer.kind == LayerKind::TransposedLinear && grid.dim() == 2 ? grid.t().contiguous() : grid.contiguous();
}

std::string joinDirection(const std::vector<double>& d) {
    std::ostringstream s;
    s.precision(17);
    for (size_t i = 0; i < d.size(); ++i) s << (i ? "," : "") << d[i];
    return s.str();
}

struct CheckedFile {
    SafetensorsFile file;
    Granularity granularity = Granularity::Kernel;
};

// A cx-mask/1 file made for this model (format, model hash and granularity checked).
Result<CheckedFile> readForModel(const std::string& path, const Model& model, const std::string& kind) {
    auto file = readSafetensors(path);
    if (!file) return file.error();
    const auto& meta = file.value().metadata;
    auto get = [&](const std::string& key) { auto it = meta.find(key); return it == meta.end() ? std::string() : it->second; };
    if (get("format") != kFormat)
        return invalidInput(path + ": not a Circuit Explorer " + kind + " file (format '" + get("format") + "')");
    if (get("model_sha256") != model.summary().sha256)
        return invalidInput(path + " was made for another model (sha256 " + get("model_sha256").substr(0, 12) +
                            "..., this model is " + model.summary().sha256.substr(0, 12) + "...)");
    auto granularity = parseGranularity(get("granularity"));
    if (!granularity) return invalidInput(path + ": " + granularity.error().message);
    return CheckedFile{file.take(), granularity.value()};
}

void addCommon(Metadata& m, const Model& model, const UnitScores& scores, const TargetSpec* target) {
    m["format"] = kFormat;
    m["granularity"] = nameOf(scores.granularity);
    m["model_sha256"] = model.summary().sha256;
    m["relevant"] = std::to_string(scores.relevantCount);
    m["images"] = std::to_string(scores.images);
    if (target && target->unit < 0) m["direction"] = joinDirection(target->direction);
}

}  // namespace

std::vector<double> splitDirection(const std::string& text) {
    std::vector<double> out;
    std::stringstream s(text);
    std::string item;
    while (std::getline(s, item, ',')) {
        const auto value = parseFinite(item);
        if (!value) return {};  // not a finite number: the file has no usable direction
        out.push_back(*value);
    }
    return out;
}

Metadata scoresMetadata(const Model& model, const UnitScores& scores, Metadata metadata, const TargetSpec* target) {
    addCommon(metadata, model, scores, target);
    return metadata;
}

Status writeScoresFile(const std::string& path, const Model& model, const UnitScores& scores, Metadata metadata,
                       const TargetSpec* target) {
    addCommon(metadata, model, scores, target);
    SafetensorsFile file;
    file.metadata = std::move(metadata);
    for (const auto& [l, s] : scores.scores) {
        const auto& layer = model.summary().layers[size_t(l)];
        file.tensors["score/" + layer.param] = tensorToBlob(toFileLayout(layer, s.to(torch::kFloat32)));
    }
    return writeSafetensors(path, file);
}

Status writePopulationScoresFile(const std::string& path, const Model& model, const std::vector<int64_t>& units,
                                 const std::vector<UnitScores>& scores, Metadata metadata) {
    if (scores.empty() || scores.size() != units.size()) return invalidInput("a population needs one score set per unit");
    addCommon(metadata, model, scores.front(), nullptr);
    metadata["format"] = "cx-population/1";
    std::string unitList, relevant;
    for (size_t u = 0; u < units.size(); ++u) {
        unitList += (u ? "," : "") + std::to_string(units[u]);
        relevant += (u ? "," : "") + std::to_string(scores[u].relevantCount);
    }
    metadata["units"] = unitList;
    metadata["relevant"] = relevant;
    std::map<int, std::vector<torch::Tensor>> rows;  // layer -> one grid per unit
    for (const auto& unitScores : scores)
        for (const auto& [l, s] : unitScores.scores) rows[l];
    for (auto& [l, list] : rows) {
        const auto& layer = model.summary().layers[size_t(l)];
        torch::Tensor shape;
        for (const auto& unitScores : scores)
            if (unitScores.scores.count(l)) shape = unitScores.scores.at(l);
        for (const auto& unitScores : scores) {
            const auto it = unitScores.scores.find(l);
            list.push_back(toFileLayout(layer, it == unitScores.scores.end() ? torch::zeros_like(shape) : it->second.to(torch::kFloat32)));
        }
    }
    SafetensorsFile file;
    file.metadata = std::move(metadata);
    for (const auto& [l, list] : rows)
        file.tensors["score/" + model.summary().layers[size_t(l)].param] = tensorToBlob(torch::stack(list).contiguous());
    return writeSafetensors(path, file);
}

Result<LoadedScores> readScoresFile(const std::string& path, const Model& model) {
    auto checked = readForModel(path, model, "scores");
    if (!checked) return checked.error();
    const auto& file = checked.value().file;
    const auto& meta = file.metadata;
    auto get = [&](const std::string& key) { auto it = meta.find(key); return it == meta.end() ? std::string() : it->second; };
    const Granularity granularity = checked.value().granularity;
    LoadedScores out;
    out.metadata = meta;
    auto target = parseTarget(get("target"));
    if (!target) return invalidInput(path + ": " + target.error().message);
    out.target = target.take();
    if (meta.count("direction")) out.target.direction = splitDirection(get("direction"));
    if (meta.count("objective"))
        if (auto st = parseObjective(get("objective"), out.target); !st) return invalidInput(path + ": " + st.error().message);
    const auto& summary = model.summary();
    auto targetLayer = resolveTarget(summary, out.target);
    if (!targetLayer) return invalidInput(path + ": " + targetLayer.error().message);
    UnitScores& s = out.scores;
    s.targetLayer = targetLayer.value();
    s.targetRows = targetRows(out.target);
    if (meta.count("images")) {
        const auto images = parseInt64(get("images"));
        if (!images || *images < 0)
            return invalidInput(path + ": metadata 'images' must be a count of images, not '" + get("images") + "'");
        s.images = *images;
    }
    s.granularity = granularity;
    const KernelGraph graph(summary);
    const KernelGrid relevant = graph.relevant(s.targetLayer, s.targetRows);
    for (size_t l = 0; l < relevant.size(); ++l) {
        if (relevant[l].empty()) continue;
        const auto& layer = summary.layers[l];
        auto it = file.tensors.find("score/" + layer.param);
        if (it == file.tensors.end()) return invalidInput(path + ": no scores for parameter " + layer.param);
        auto t = blobToTensor(it->second, path);
        if (!t) return t.error();
        auto grid = t.value().to(torch::kFloat32);
        if (!torch::isfinite(grid).all().item<bool>())
            return invalidInput(path + ": scores for " + layer.param + " hold NaN or infinite values");
        if (layer.kind == LayerKind::TransposedLinear && grid.dim() == 2) grid = grid.t().contiguous();
        const auto expected = unitShape(layer, model.impl().param(layer.param), s.granularity);
        if (grid.sizes().vec() != expected)
            return invalidInput(path + ": scores for " + layer.param + " have another shape than the model's " +
                                nameOf(s.granularity) + " grid");
        const std::vector<int64_t> kernelShape = {graph.outUnits(int(l)), graph.inPerGroup(int(l))};
        auto kernels = torch::from_blob(const_cast<uint8_t*>(relevant[l].data()), kernelShape, torch::kUInt8).to(torch::kBool).clone();
        auto rel = unitsFromKernels(kernels, expected, s.granularity);
        s.kernelRelevant[int(l)] = kernels;
        s.relevant[int(l)] = rel;
        s.scores[int(l)] = grid * rel;
        s.relevantCount += rel.sum().item<int64_t>();
    }
    return out;
}

LoadedMasks circuitMasks(const Model& model, const Circuit& circuit, const UnitScores& scores, Metadata metadata) {
    addCommon(metadata, model, scores, nullptr);
    metadata["sparsity"] = std::to_string(circuit.sparsity);
    metadata["kept"] = std::to_string(circuit.keptCount);
    metadata["effective_kept"] = std::to_string(circuit.effectiveCount);
    metadata["disconnected"] = circuit.disconnected ? "true" : "false";
    metadata["bias"] = circuit.bias == BiasMode::Pruned ? "pruned" : "masked";
    LoadedMasks out;
    out.granularity = scores.granularity;
    out.metadata = std::move(metadata);
    for (const auto& [l, kept] : circuit.kept) {
        out.masks[l] = kept.to(torch::kBool);
        out.scores[l] = scores.scores.at(l).to(torch::kFloat32);
    }
    return out;
}

Status writeMasks(const std::string& path, const Model& model, const LoadedMasks& masks) {
    SafetensorsFile file;
    file.metadata = masks.metadata;
    const auto put = [&](const char* kind, const std::map<int, torch::Tensor>& grids, torch::Dtype dtype) {
        for (const auto& [l, grid] : grids) {
            const auto& layer = model.summary().layers[size_t(l)];
            file.tensors[std::string(kind) + "/" + layer.param] = tensorToBlob(toFileLayout(layer, grid.detach().to(dtype)));
        }
    };
    put("mask", masks.masks, torch::kUInt8);
    put("score", masks.scores, torch::kFloat32);
    put("logit", masks.logits, torch::kFloat32);
    return writeSafetensors(path, file);
}

Status writeMaskFile(const std::string& path, const Model& model, const Circuit& circuit, const UnitScores& scores,
                     Metadata metadata) {
    return writeMasks(path, model, circuitMasks(model, circuit, scores, std::move(metadata)));
}

Status writeUnitMasks(const std::string& path, const Model& model, Granularity granularity,
                      const std::map<int, torch::Tensor>& masks, const std::map<int, torch::Tensor>& logits,
                      Metadata metadata) {
    metadata["format"] = kFormat;
    metadata["granularity"] = nameOf(granularity);
    metadata["model_sha256"] = model.summary().sha256;
    int64_t kept = 0, total = 0;
    SafetensorsFile file;
    for (const auto& [l, m] : masks) {
        const auto& layer = model.summary().layers[size_t(l)];
        file.tensors["mask/" + layer.param] = tensorToBlob(toFileLayout(layer, m.to(torch::kUInt8)));
        if (logits.count(l)) file.tensors["logit/" + layer.param] = tensorToBlob(toFileLayout(layer, logits.at(l).detach().to(torch::kFloat32)));
        kept += m.to(torch::kBool).sum().item<int64_t>();
        total += m.numel();
    }
    metadata["kept"] = std::to_string(kept);
    metadata["total"] = std::to_string(total);
    file.metadata = std::move(metadata);
    return writeSafetensors(path, file);
}

// Head grids carry their head count: a count given at training time (no `num_heads` in the
// model) is read back from the grid's length.
static bool gridFits(const LayerInfo& info, const torch::Tensor& weight, Granularity granularity, const torch::Tensor& grid) {
    if (granularity == Granularity::Head && info.heads == 0)
        return grid.dim() == 1 && headRole(info, grid.size(0)).has_value();
    return grid.sizes().vec() == unitShape(info, weight, granularity);
}

Result<LoadedMasks> readUnitMasks(const std::string& path, const Model& model) {
    auto checked = readForModel(path, model, "mask");
    if (!checked) return checked.error();
    const auto& file = checked.value().file;
    const auto& meta = file.metadata;
    const Granularity granularity = checked.value().granularity;
    LoadedMasks out;
    out.granularity = granularity;
    out.metadata = meta;
    const auto& summary = model.summary();
    for (const auto& [key, blob] : file.tensors) {
        const bool isMask = key.rfind("mask/", 0) == 0, isLogit = key.rfind("logit/", 0) == 0,
                   isScore = key.rfind("score/", 0) == 0;
        if (!isMask && !isLogit && !isScore) continue;
        const std::string param = key.substr(key.find('/') + 1);
        int layer = -1;
        for (size_t l = 0; l < summary.layers.size(); ++l)
            if (summary.layers[l].param == param) layer = int(l);
        if (layer < 0) return invalidInput(path + ": the model has no layer with parameter " + param);
        const auto& info = summary.layers[size_t(layer)];
        auto t = blobToTensor(blob, path);
        if (!t) return t.error();
        auto grid = t.value();
        if (info.kind == LayerKind::TransposedLinear && grid.dim() == 2) grid = grid.t().contiguous();
        if (!gridFits(info, model.impl().param(info.param), out.granularity, grid))
            return invalidInput(path + ": " + key + " does not match the model's " + nameOf(out.granularity) +
                                " grid for " + param);
        if (isMask) {
            out.masks[layer] = grid.to(torch::kBool);
            continue;
        }
        auto values = grid.to(torch::kFloat32);
        if (!torch::isfinite(values).all().item<bool>())
            return invalidInput(path + ": " + key + " holds NaN or infinite values");
        (isLogit ? out.logits : out.scores)[layer] = values;
    }
    if (out.masks.empty()) return invalidInput(path + ": the file holds no masks");
    return out;
}

}  // namespace cx::engine
