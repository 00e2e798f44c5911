#include "engine/masks/mask_iou.h"

#include <cmath>
#include <map>

#include "engine/io/safetensors.h"

namespace cx::engine {

Result<std::vector<LayerIoU>> maskIoU(const std::string& pathA, const std::string& pathB) {
    auto a = readSafetensors(pathA);
    if (!a) return a.error();
    auto b = readSafetensors(pathB);
    if (!b) return b.error();
    auto meta = [](const SafetensorsFile& f, const std::string& k) { auto it = f.metadata.find(k); return it == f.metadata.end() ? std::string() : it->second; };
    for (const auto* f : {&a.value(), &b.value()})
        if (meta(*f, "format") != "cx-mask/1") return invalidInput((f == &a.value() ? pathA : pathB) + ": not a cx-mask/1 mask file");
    if (meta(a.value(), "model_sha256") != meta(b.value(), "model_sha256"))
        return invalidInput(pathA + " and " + pathB + " were made for different models");
    if (meta(a.value(), "granularity") != meta(b.value(), "granularity"))
        return invalidInput("the masks have different granularities (" + meta(a.value(), "granularity") + ", " +
                            meta(b.value(), "granularity") + ")");
    std::map<std::string, LayerIoU> layers;  // every parameter masked in either file
    for (const auto* f : {&a.value(), &b.value()})
        for (const auto& [key, blob] : f->tensors) {
            if (key.rfind("mask/", 0) != 0) continue;
            if (blob.dtype != DType::U8) return invalidInput(key + " is not a uint8 mask");
            layers[key.substr(5)].param = key.substr(5);
        }
    std::vector<LayerIoU> out;
    for (auto& [param, l] : layers) {
        const auto ia = a.value().tensors.find("mask/" + param), ib = b.value().tensors.find("mask/" + param);
        const TensorBlob* ma = ia == a.value().tensors.end() ? nullptr : &ia->second;
        const TensorBlob* mb = ib == b.value().tensors.end() ? nullptr : &ib->second;
        if (ma && mb && ma->shape != mb->shape) return invalidInput("mask/" + param + " has different shapes in the two files");
        const size_t n = ma ? ma->data.size() : mb->data.size();
        for (size_t i = 0; i < n; ++i) {
            const bool inA = ma && ma->data[i], inB = mb && mb->data[i];
            l.both += inA && inB;
            l.onlyA += inA && !inB;
            l.onlyB += !inA && inB;
        }
        const int64_t uni = l.both + l.onlyA + l.onlyB;
        // Undefined where the union is empty or one file lacks the parameter (absent, not kept).
        l.iou = uni == 0 || !ma || !mb ? std::nan("") : double(l.both) / double(uni);
        out.push_back(l);
    }
    return out;
}

}  // namespace cx::engine
