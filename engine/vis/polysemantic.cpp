// Polysemantic units: clusters of a unit's top patches by the layer's response to them, then a
// subcircuit per cluster measured on every cluster. Each group's subcircuits are scored once
// (one scoring pass on its images) and pruned at every level; every level's circuit runs once on
// the union of the groups' images, and each group's delta-f-norm is read from its rows.
#include "engine/vis/polysemantic.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/data/internal/image_set.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/pruning/internal/circuit.h"
#include "engine/pruning/internal/preservation.h"
#include "engine/pruning/pruning.h"
#include "engine/vis/feature_vis.h"

namespace cx::engine {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kBatch = 64;

torch::Tensor imageIndices(const PolysemanticResult& r, const std::vector<int64_t>& members) {
    std::vector<int64_t> ids;
    for (int64_t m : members) ids.push_back(r.examples.top[size_t(m)].image);
    return torch::tensor(ids, torch::kInt64);
}

// The layer's channels at each example's position: one row per example (float64, row-major).
Result<std::vector<double>> populationResponse(const Model& model, int layer, const torch::Tensor& images,
                                               const std::vector<TopExample>& top, JobContext& job) {
    const std::string device = defaultDevice();
    auto plan = ForwardPlan::build(model, {{layer, ProbeSide::Output}}, false, {}, device);
    if (!plan) return plan.error();
    const bool linear = model.summary().layers[size_t(layer)].kind == LayerKind::Linear;
    torch::NoGradGuard off;
    std::vector<double> rows;
    for (size_t start = 0; start < top.size(); start += size_t(kBatch)) {
        if (job.cancelled()) return cancelledError();
        const size_t b = std::min(top.size() - start, size_t(kBatch));
        std::vector<int64_t> ids;
        for (size_t i = 0; i < b; ++i) ids.push_back(top[start + i].image);
        auto y = plan.value().run({images.index_select(0, torch::tensor(ids)).to(torch::Device(device))}).probes[0];
        if (y.dim() == 3 && linear) y = y.transpose(1, 2);  // N x T x D: units first, as topExamples reads it
        if (y.dim() < 2 || y.dim() > 4) return invalidInput("the layer's output is not a map or a vector of units");
        y = y.to(torch::kFloat64).cpu();
        for (size_t i = 0; i < b; ++i) {
            auto v = y[long(i)];
            if (v.dim() == 3) v = v.select(2, top[start + i].col).select(1, top[start + i].row);
            else if (v.dim() == 2) v = v.select(1, top[start + i].col);
            v = v.contiguous();
            rows.insert(rows.end(), v.data_ptr<double>(), v.data_ptr<double>() + v.numel());
        }
        job.progress("population", double(start + b) / double(top.size()));
    }
    return rows;
}

// Kept in both / in either, per layer of the two masks (input side first).
std::vector<LayerOverlap> overlapOf(const Model& model, const Mask& a, const Mask& b) {
    std::map<int, std::pair<torch::Tensor, torch::Tensor>> layers;
    for (const auto& [l, m] : a.data.masks) layers[l].first = m.to(torch::kBool);
    for (const auto& [l, m] : b.data.masks) layers[l].second = m.to(torch::kBool);
    std::vector<LayerOverlap> out;
    for (auto& [l, pair] : layers) {
        auto x = pair.first.defined() ? pair.first : torch::zeros_like(pair.second);
        auto y = pair.second.defined() ? pair.second : torch::zeros_like(pair.first);
        LayerOverlap o;
        o.layer = model.summary().layers[size_t(l)].name;
        o.both = (x & y).sum().item<int64_t>();
        o.either = (x | y).sum().item<int64_t>();
        o.iou = o.either == 0 ? std::nan("") : double(o.both) / double(o.either);
        out.push_back(o);
    }
    return out;
}

Status checkPruneSpec(const PolysemanticSpec& spec, const std::vector<double>& levels) {
    if (spec.criterion == Criterion::Force)
        return invalidInput("cluster subcircuits are not pruned with FORCE (its schedule runs for one circuit size); choose another criterion");
    if (!(spec.threshold > 0.0)) return invalidInput("the delta-f-norm threshold must be above 0");
    if (levels.empty()) return invalidInput("no sparsities given");
    for (double s : levels)
        if (!(s > 0.0 && s <= 1.0)) return invalidInput("sparsity must be in (0, 1], got " + std::to_string(s));
    return Done{};
}

}  // namespace

std::vector<double> defaultPolysemanticSparsities() {
    std::vector<double> out;
    for (int i = 0; i < 20; ++i) out.push_back(0.5 + (0.005 - 0.5) * i / 19.0);
    return out;
}

std::string groupStem(const PatchGroup& group) {
    std::string s = group.name;
    for (char& c : s) c = c == ' ' ? '_' : char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

Result<PolysemanticResult> clusterTopPatches(Workspace& workspace, const PolysemanticSpec& spec, JobContext& job) {
    initRuntime();
    if (!readsImages(workspace)) return invalidInput("polysemantic units are found on image models; this model reads token ids");
    if (spec.unit < 0) return invalidInput("no unit given (LAYER:UNIT)");
    if (spec.top < 2) return invalidInput("--top must be at least 2 to cluster, got " + std::to_string(spec.top));
    JobContext inner(job.token());
    auto top = topExamples(workspace, nullptr, spec.images, spec.layer, {spec.unit}, spec.top, inner);
    if (!top) return top.error();
    PolysemanticResult out;
    out.layer = spec.layer;
    out.unit = spec.unit;
    out.examples = std::move(top.value().units.front());
    out.boxNote = top.value().boxNote;
    job.progress("examples", 1.0);
    const Model& model = *workspace.model();
    auto set = workspace.impl().images(spec.images, {});
    if (!set) return set.error();
    return guarded<PolysemanticResult>("polysemantic clusters", [&]() -> Result<PolysemanticResult> {
        const int layer = model.summary().indexOf(spec.layer);
        auto rows = populationResponse(model, layer, set.value()->images, out.examples.top, job);
        if (!rows) return rows.error();
        const int64_t n = int64_t(out.examples.top.size()), dim = int64_t(rows.value().size()) / n;
        job.progress("clusters", 0.0);
        auto clustering = densityClusters(rows.value(), n, dim, spec.clustering);
        if (!clustering) return clustering.error();
        out.labels = clustering.value().labels;
        for (size_t c = 0; c < clustering.value().clusters.size(); ++c) {
            PatchGroup g;
            g.name = "cluster " + std::to_string(c);
            g.members = clustering.value().clusters[c].members;
            g.stability = clustering.value().clusters[c].stability;
            out.groups.push_back(std::move(g));
        }
        out.clusterCount = out.groups.size();
        if (spec.control) addControlHalves(out, spec.seed);
        job.progress("clusters", 1.0);
        return std::move(out);
    });
}

void addControlHalves(PolysemanticResult& r, uint64_t seed) {
    r.groups.resize(r.clusterCount);
    std::vector<int64_t> all;
    for (size_t i = 0; i < r.labels.size(); ++i)
        if (r.labels[i] >= 0) all.push_back(int64_t(i));
    if (all.size() < 2) return;
    std::mt19937_64 rng(seed);
    std::shuffle(all.begin(), all.end(), rng);
    PatchGroup a, b;
    a.name = "control A";
    b.name = "control B";
    a.members.assign(all.begin(), all.begin() + long(all.size() / 2));
    b.members.assign(all.begin() + long(all.size() / 2), all.end());
    std::sort(a.members.begin(), a.members.end());
    std::sort(b.members.begin(), b.members.end());
    r.groups.push_back(std::move(a));
    r.groups.push_back(std::move(b));
}

Status pruneSubcircuits(Workspace& workspace, const PolysemanticSpec& spec, PolysemanticResult& result, const std::string& workDir,
                        JobContext& job) {
    initRuntime();
    std::vector<double> levels = spec.sparsities.empty() ? defaultPolysemanticSparsities() : spec.sparsities;
    if (auto st = checkPruneSpec(spec, levels); !st) return st;
    if (result.clusterCount == 0) return invalidInput("no clusters were found: there are no cluster subcircuits to prune");
    std::sort(levels.begin(), levels.end(), std::greater<>());  // dense to sparse: the threshold is read along it
    levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
    const Model& model = *workspace.model();
    auto set = workspace.impl().images(spec.images, {});
    if (!set) return set.error();
    std::error_code ec;
    fs::create_directories(workDir, ec);
    if (ec) return ioError("cannot create " + workDir + ": " + ec.message());
    return guarded<Done>("cluster subcircuits", [&]() -> Result<Done> {
        const std::string device = defaultDevice();
        auto target = parseTarget(spec.layer + ":" + std::to_string(spec.unit));
        if (!target) return target.error();
        target.value().objective = Objective::Max;
        // Every group's images once: the union of the examples they hold, and each group's rows in it.
        std::vector<int64_t> used;
        for (const auto& g : result.groups) used.insert(used.end(), g.members.begin(), g.members.end());
        std::sort(used.begin(), used.end());
        used.erase(std::unique(used.begin(), used.end()), used.end());
        const auto unionImages = set.value()->images.index_select(0, imageIndices(result, used));
        std::vector<torch::Tensor> rowsOf;
        for (const auto& g : result.groups) {
            std::vector<int64_t> rows;
            for (int64_t m : g.members) rows.push_back(std::lower_bound(used.begin(), used.end(), m) - used.begin());
            rowsOf.push_back(torch::tensor(rows, torch::kInt64));
        }
        JobContext inner(job.token());
        const auto original = targetActivations(model, unionImages, target.value(), nullptr, spec.batchSize, inner, device);
        if (job.cancelled()) return cancelledError();
        const double steps = double(result.groups.size() * (levels.size() + 1));
        double step = 0;
        for (size_t g = 0; g < result.groups.size(); ++g) {
            PatchGroup& group = result.groups[g];
            job.progress("score " + group.name, step++ / steps);
            group.imagesFile = (fs::path(workDir) / (groupStem(group) + ".safetensors")).string();
            ImageSet images;
            images.images = set.value()->images.index_select(0, imageIndices(result, group.members)).contiguous();
            images.labels = torch::full({images.images.size(0)}, -1, torch::kInt64);
            if (auto st = saveImages(group.imagesFile, images); !st) return st.error();
            ScoreSpec how;
            how.images = group.imagesFile;
            how.target = target.value().text();
            how.objective = "max";
            how.criterion = spec.criterion;
            how.batchSize = spec.batchSize;
            how.seed = spec.seed;
            auto scores = computeScores(workspace, how, inner);
            if (!scores) return scores.error();
            group.dfnorm.assign(result.groups.size(), {});
            group.kept.clear();
            for (double level : levels) {
                if (job.cancelled()) return cancelledError();
                auto circuit = selectCircuit(model, scores.value()->data.scores, {level, spec.minmax, spec.bias});
                if (!circuit) return circuit.error();
                const auto f = targetActivations(model, unionImages, target.value(), &circuit.value(), spec.batchSize, inner, device);
                if (job.cancelled()) return cancelledError();
                for (size_t h = 0; h < result.groups.size(); ++h)
                    group.dfnorm[h].push_back(deltaFNorm(original.index_select(0, rowsOf[h]), f.index_select(0, rowsOf[h])));
                group.kept.push_back(circuit.value().keptCount);
                job.progress("evaluate " + group.name, step++ / steps);
            }
            // The sparsest level reached before the own curve first passes the threshold.
            group.chosen = 0;
            group.chosenBelowThreshold = group.dfnorm[g][0] < spec.threshold;
            for (size_t j = 1; group.chosenBelowThreshold && j < levels.size() && group.dfnorm[g][j] < spec.threshold; ++j) group.chosen = j;
            auto mask = pruneCircuit(workspace, *scores.value(), {levels[group.chosen], spec.minmax, spec.bias}, inner);
            if (!mask) return mask.error();
            group.mask = mask.value().mask;
        }
        result.sparsities = levels;
        result.overlaps.clear();
        for (size_t a = 0; a < result.groups.size(); ++a)
            for (size_t b = a + 1; b < result.groups.size(); ++b) {
                const bool clusters = b < result.clusterCount, controls = a >= result.clusterCount;
                if (clusters || controls) result.overlaps.push_back({a, b, overlapOf(model, *result.groups[a].mask, *result.groups[b].mask)});
            }
        job.progress("done", 1.0);
        return Done{};
    });
}

}  // namespace cx::engine
