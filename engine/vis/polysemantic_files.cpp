// A polysemantic analysis on disk: clusters.json, one patch sheet per group, and after pruning
// the masks, the curves (CSV and SVG) and the per-layer IoU (CSV and SVG).
#include <cmath>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/core/options.h"
#include "engine/demo/svg_chart.h"
#include "engine/io/atomic_file.h"
#include "engine/pruning/pruning.h"
#include "engine/vis/polysemantic.h"

namespace cx::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

const char* colourOf(size_t i) { return kColours[i % (sizeof(kColours) / sizeof(kColours[0]))]; }

json numberOrNull(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json resultJson(const PolysemanticSpec& spec, const PolysemanticResult& r) {
    json examples = json::array();
    for (size_t i = 0; i < r.examples.top.size(); ++i) {
        const auto& e = r.examples.top[i];
        examples.push_back({{"image", e.image}, {"row", e.row}, {"col", e.col}, {"value", e.value},
                            {"box", {e.box[0], e.box[1], e.box[2], e.box[3]}}, {"cluster", r.labels[i]}});
    }
    json groups = json::array();
    for (size_t g = 0; g < r.groups.size(); ++g) {
        const auto& group = r.groups[g];
        json item = {{"name", group.name}, {"kind", g < r.clusterCount ? "cluster" : "control"}, {"members", group.members},
                     {"stability", group.stability}, {"patches", "patches_" + groupStem(group) + ".png"}};
        if (group.mask) {
            item["images"] = group.imagesFile;
            item["mask"] = "mask_" + groupStem(group) + ".safetensors";
            item["mask_sparsity"] = r.sparsities[group.chosen];
            item["mask_below_threshold"] = group.chosenBelowThreshold;
            json curves = json::object();
            for (size_t h = 0; h < r.groups.size(); ++h) {
                json values = json::array();
                for (double v : group.dfnorm[h]) values.push_back(numberOrNull(v));
                curves[r.groups[h].name] = values;
            }
            item["kept"] = group.kept;
            item["dfnorm"] = curves;
        }
        groups.push_back(item);
    }
    json overlaps = json::array();
    for (const auto& o : r.overlaps) {
        json layers = json::array();
        for (const auto& l : o.layers) layers.push_back({{"layer", l.layer}, {"both", l.both}, {"either", l.either}, {"iou", numberOrNull(l.iou)}});
        overlaps.push_back({{"a", r.groups[o.a].name}, {"b", r.groups[o.b].name}, {"layers", layers}});
    }
    return {{"format", "cx-polysemantic/1"}, {"layer", r.layer}, {"unit", r.unit}, {"images", spec.images}, {"top", spec.top},
            {"min_cluster_size", spec.clustering.minClusterSize},
            {"min_samples", spec.clustering.minSamples > 0 ? spec.clustering.minSamples : spec.clustering.minClusterSize},
            {"criterion", nameOf(spec.criterion)}, {"objective", "max"}, {"threshold", spec.threshold},
            {"box_note", r.boxNote}, {"sparsities", r.sparsities}, {"examples", examples}, {"groups", groups},
            {"overlaps", overlaps}};
}

std::string curvesCsv(const PolysemanticResult& r) {
    std::ostringstream csv;
    csv << "circuit,evaluated_on,sparsity,kept,dfnorm\n";
    for (const auto& g : r.groups)
        for (size_t h = 0; h < r.groups.size() && g.mask; ++h)
            for (size_t j = 0; j < r.sparsities.size(); ++j)
                csv << g.name << "," << r.groups[h].name << "," << r.sparsities[j] << "," << g.kept[j] << "," << g.dfnorm[h][j] << "\n";
    return csv.str();
}

std::string curvesSvg(const PolysemanticResult& r) {
    std::vector<ChartSeries> series;
    double top = 0.5;
    for (size_t g = 0; g < r.groups.size(); ++g)
        for (size_t h = 0; h < r.groups.size(); ++h) {
            const bool own = g == h;
            // Clusters against clusters, controls against controls (the seed's Figs. 5 and 6).
            if ((g < r.clusterCount) != (h < r.clusterCount)) continue;
            ChartSeries s;
            s.name = r.groups[g].name + (own ? " on its own" : " on " + r.groups[h].name);
            s.colour = colourOf(g);
            s.dashed = !own;
            for (size_t j = 0; j < r.sparsities.size(); ++j) {
                s.x.push_back(r.sparsities[j]);
                s.y.push_back(std::min(r.groups[g].dfnorm[h][j], 3.0));
                top = std::max(top, s.y.back());
            }
            series.push_back(std::move(s));
        }
    ChartAxes axes{"Subcircuits of " + r.layer + ":" + std::to_string(r.unit) + " per cluster",
                   "sparsity (fraction of relevant kernels kept)", "delta-f-norm (top activations)", true, 0.0, std::ceil(top * 2) / 2,
                   true, {}};  // the legend below: the curves start high at the sparse end
    return svgLineChart(axes, series);
}

std::string iouCsv(const PolysemanticResult& r) {
    std::ostringstream csv;
    csv << "a,b,layer,both,either,iou\n";
    for (const auto& o : r.overlaps)
        for (const auto& l : o.layers)
            csv << r.groups[o.a].name << "," << r.groups[o.b].name << "," << l.layer << "," << l.both << "," << l.either << "," << l.iou << "\n";
    return csv.str();
}

std::string iouSvg(const PolysemanticResult& r) {
    std::vector<ChartSeries> series;
    for (size_t i = 0; i < r.overlaps.size(); ++i) {
        const auto& o = r.overlaps[i];
        ChartSeries s;
        s.name = r.groups[o.a].name + " / " + r.groups[o.b].name;
        s.colour = colourOf(i);
        for (size_t l = 0; l < o.layers.size(); ++l)
            if (std::isfinite(o.layers[l].iou)) s.x.push_back(double(l + 1)), s.y.push_back(o.layers[l].iou);
        series.push_back(std::move(s));
    }
    std::vector<std::string> layers;
    for (const auto& o : r.overlaps)
        if (o.layers.size() > layers.size()) {
            layers.clear();
            for (const auto& l : o.layers) layers.push_back(l.layer);
        }
    ChartAxes axes{"Per-layer IoU of the subcircuits' kernels", "layer (input side first)", "IoU", false, 0.0, 1.0, true, layers};
    return svgLineChart(axes, series);
}

}  // namespace

std::string polysemanticJson(const PolysemanticSpec& spec, const PolysemanticResult& result) {
    return resultJson(spec, result).dump(1) + "\n";
}

Result<std::vector<std::string>> writePolysemantic(Workspace& workspace, const PolysemanticSpec& spec, const PolysemanticResult& r,
                                                   const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return ioError("cannot create " + dir + ": " + ec.message());
    std::vector<std::string> files;
    auto text = [&](const std::string& name, const std::string& body) -> Status {
        const std::string path = (fs::path(dir) / name).string();
        if (auto st = writeFileAtomic(path, body); !st) return st;
        files.push_back(path);
        return Done{};
    };
    auto sheet = [&](const std::string& name, const std::vector<int64_t>& members) -> Status {
        std::vector<TopExample> patches;
        for (int64_t m : members) patches.push_back(r.examples.top[size_t(m)]);
        if (patches.empty()) return Done{};
        const std::string path = (fs::path(dir) / name).string();
        if (auto st = writePatchSheet(workspace, spec.images, patches, path); !st) return st;
        files.push_back(path);
        return Done{};
    };
    for (const auto& g : r.groups)
        if (auto st = sheet("patches_" + groupStem(g) + ".png", g.members); !st) return st.error();
    std::vector<int64_t> noise;
    for (size_t i = 0; i < r.labels.size(); ++i)
        if (r.labels[i] < 0) noise.push_back(int64_t(i));
    if (auto st = sheet("noise.png", noise); !st) return st.error();
    const bool pruned = !r.groups.empty() && r.groups.front().mask;
    if (pruned) {
        for (const auto& g : r.groups) {
            const std::string path = (fs::path(dir) / ("mask_" + groupStem(g) + ".safetensors")).string();
            if (auto st = writeMask(workspace, *g.mask, path); !st) return st.error();
            files.push_back(path);
        }
        for (const auto& [name, body] : {std::pair<std::string, std::string>{"curves.csv", curvesCsv(r)}, {"curves.svg", curvesSvg(r)},
                                         {"iou.csv", iouCsv(r)}, {"iou.svg", iouSvg(r)}})
            if (auto st = text(name, body); !st) return st.error();
    }
    if (auto st = text("clusters.json", polysemanticJson(spec, r)); !st) return st.error();
    return files;
}

}  // namespace cx::engine
