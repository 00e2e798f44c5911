#include "engine/masks/internal/overlap.h"

#include <set>

#include "engine/model/internal/heads.h"
#include "engine/model/internal/model_impl.h"

namespace cx::engine {
namespace {

void addCounts(OverlapRow& row, const torch::Tensor& a, const torch::Tensor& b) {
    row.both += (a & b).sum().item<int64_t>();
    row.onlyA += (a & ~b).sum().item<int64_t>();
    row.onlyB += (~a & b).sum().item<int64_t>();
    row.neither += (~a & ~b).sum().item<int64_t>();
}

std::string parentModule(const std::string& name) {
    const auto dot = name.rfind('.');
    return dot == std::string::npos ? name : name.substr(0, dot);
}

// Head count usable for splitting this layer's grid, or 0.
int64_t headsOf(const LayerInfo& info, const torch::Tensor& grid, Granularity granularity) {
    if (granularity == Granularity::Head) return grid.size(0);
    return info.heads;
}

}  // namespace

std::vector<OverlapRow> maskOverlapBy(const Model& model, const std::map<int, torch::Tensor>& a,
                                      const std::map<int, torch::Tensor>& b, Granularity granularity, OverlapBy by) {
    std::vector<OverlapRow> rows;
    std::map<std::string, size_t> rowOf;
    std::string absent;  // of the layer being counted
    auto row = [&](const std::string& name) -> OverlapRow& {
        auto [it, fresh] = rowOf.emplace(name, rows.size());
        if (fresh) rows.push_back(OverlapRow{name});
        if (!absent.empty()) rows[it->second].absentIn = absent;
        return rows[it->second];
    };
    std::set<std::string> headBlocksCounted;
    std::map<int, bool> layers;
    for (const auto& [l, m] : a) layers[l] = true;
    for (const auto& [l, m] : b) layers[l] = true;
    for (const auto& [l, unused] : layers) {
        const auto& info = model.summary().layers[size_t(l)];
        const auto& shape = a.count(l) ? a.at(l) : b.at(l);
        // A layer one mask lacks is absent there, not kept: its units count for the other alone.
        auto ma = a.count(l) ? a.at(l).to(torch::kBool) : torch::zeros(shape.sizes(), torch::kBool);
        auto mb = b.count(l) ? b.at(l).to(torch::kBool) : torch::zeros(shape.sizes(), torch::kBool);
        absent = a.count(l) ? (b.count(l) ? "" : "B") : "A";
        if (by != OverlapBy::Block) {
            addCounts(row(by == OverlapBy::Layer ? info.name : info.param), ma, mb);
            continue;
        }
        const int64_t heads = headsOf(info, ma, granularity);
        const auto role = heads > 0 ? headRole(info, heads) : std::nullopt;
        const std::string block = heads > 0 ? attentionGroup(info) : parentModule(info.name);
        if (!role) {
            addCounts(row(block), ma, mb);
            continue;
        }
        if (granularity == Granularity::Head) {  // one shared unit per head: count it once per block
            if (!headBlocksCounted.insert(block).second) continue;
            for (int64_t h = 0; h < heads; ++h) addCounts(row(block + " head " + std::to_string(h)), ma[h], mb[h]);
            continue;
        }
        const bool columns = *role == HeadRole::Merge;
        if (columns && ma.dim() == 1) {  // output-projection neurons mix every head
            addCounts(row(block + " output (all heads)"), ma, mb);
            continue;
        }
        const auto headIndex = headOfSlice(info, *role, heads);
        for (int64_t h = 0; h < heads; ++h) {
            auto slice = headIndex.eq(h).nonzero().flatten();
            const int64_t dim = columns ? 1 : 0;
            addCounts(row(block + " head " + std::to_string(h)), ma.index_select(dim, slice), mb.index_select(dim, slice));
        }
    }
    return rows;
}

}  // namespace cx::engine
