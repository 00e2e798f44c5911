// HDBSCAN as the hdbscan library defines it (generic algorithm, excess-of-mass selection, no
// single root cluster): the mutual reachability graph's minimum spanning tree (Prim, O(n^2) on
// the dense matrix), its single-linkage merges, the tree condensed by the minimum cluster size,
// then the most stable clusters.
#include "engine/vis/density_clusters.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace cx::engine {
namespace {

struct Edge {
    int64_t a = 0, b = 0;
    double weight = 0.0;
};

// Prim's algorithm on a dense symmetric matrix: n - 1 edges.
std::vector<Edge> spanningTree(const std::vector<double>& m, int64_t n) {
    std::vector<Edge> edges;
    std::vector<char> in(size_t(n), 0);
    std::vector<double> best(size_t(n), std::numeric_limits<double>::infinity());
    std::vector<int64_t> from(size_t(n), 0);
    int64_t current = 0;
    in[0] = 1;
    for (int64_t step = 1; step < n; ++step) {
        int64_t next = -1;
        for (int64_t j = 0; j < n; ++j) {
            if (in[size_t(j)]) continue;
            const double d = m[size_t(current * n + j)];
            if (d < best[size_t(j)]) best[size_t(j)] = d, from[size_t(j)] = current;
            if (next < 0 || best[size_t(j)] < best[size_t(next)]) next = j;
        }
        in[size_t(next)] = 1;
        edges.push_back({from[size_t(next)], next, best[size_t(next)]});
        current = next;
    }
    return edges;
}

// Single linkage: node n + i merges the two components that edge i (in ascending order) joins.
struct Linkage {
    std::vector<int64_t> left, right, size;  // per merge node (index node - n)
    std::vector<double> distance;
};

Linkage singleLinkage(std::vector<Edge> edges, int64_t n) {
    std::stable_sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) { return x.weight < y.weight; });
    std::vector<int64_t> parent(size_t(2 * n - 1)), nodeSize(size_t(2 * n - 1), 1);
    std::iota(parent.begin(), parent.end(), 0);
    auto find = [&](int64_t x) {
        while (parent[size_t(x)] != x) x = parent[size_t(x)] = parent[size_t(parent[size_t(x)])];
        return x;
    };
    Linkage out;
    for (size_t i = 0; i < edges.size(); ++i) {
        const int64_t ra = find(edges[i].a), rb = find(edges[i].b), node = n + int64_t(i);
        parent[size_t(ra)] = parent[size_t(rb)] = node;
        nodeSize[size_t(node)] = nodeSize[size_t(ra)] + nodeSize[size_t(rb)];
        out.left.push_back(ra);
        out.right.push_back(rb);
        out.size.push_back(nodeSize[size_t(node)]);
        out.distance.push_back(edges[i].weight);
    }
    return out;
}

// One row of the condensed tree: `child` is a point (< n) or a cluster (n + cluster id).
struct CondensedRow {
    int64_t parent = 0, child = 0;
    double lambda = 0.0;
    int64_t size = 1;
};

struct CondensedTree {
    std::vector<CondensedRow> rows;
    int64_t clusters = 1;  // cluster 0 is the root
};

CondensedTree condense(const Linkage& link, int64_t n, int64_t minSize, double floorDistance) {
    CondensedTree tree;
    const int64_t root = 2 * n - 2;
    std::vector<int64_t> label(size_t(2 * n - 1), -1);
    label[size_t(root)] = 0;
    auto sizeOf = [&](int64_t node) { return node < n ? int64_t(1) : link.size[size_t(node - n)]; };
    auto fallOut = [&](int64_t node, int64_t cluster, double lambda) {  // every point under node leaves cluster
        std::vector<int64_t> stack{node};
        while (!stack.empty()) {
            const int64_t x = stack.back();
            stack.pop_back();
            if (x < n) tree.rows.push_back({cluster, x, lambda, 1});
            else stack.push_back(link.left[size_t(x - n)]), stack.push_back(link.right[size_t(x - n)]);
        }
    };
    // Parents come before children in descending node order: merges are numbered bottom-up.
    for (int64_t node = root; node >= n; --node) {
        const int64_t cluster = label[size_t(node)];
        if (cluster < 0) continue;  // its points already fell out
        const int64_t l = link.left[size_t(node - n)], r = link.right[size_t(node - n)];
        const double lambda = 1.0 / std::max(link.distance[size_t(node - n)], floorDistance);
        const bool bigL = sizeOf(l) >= minSize, bigR = sizeOf(r) >= minSize;
        if (bigL && bigR) {
            for (int64_t child : {l, r}) {
                label[size_t(child)] = tree.clusters++;
                tree.rows.push_back({cluster, n + label[size_t(child)], lambda, sizeOf(child)});
            }
        } else {
            for (int64_t child : {l, r}) {
                const bool big = child == l ? bigL : bigR;
                if (big) label[size_t(child)] = cluster;  // the cluster goes on as this side
                else fallOut(child, cluster, lambda);
            }
        }
    }
    return tree;
}

}  // namespace

std::vector<double> mutualReachability(const std::vector<double>& points, int64_t n, int64_t dim, int64_t k) {
    std::vector<double> d(size_t(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = i + 1; j < n; ++j) {
            double s = 0.0;
            for (int64_t c = 0; c < dim; ++c) {
                const double t = points[size_t(i * dim + c)] - points[size_t(j * dim + c)];
                s += t * t;
            }
            d[size_t(i * n + j)] = d[size_t(j * n + i)] = std::sqrt(s);
        }
    k = std::min(k, n - 1);
    std::vector<double> core(static_cast<size_t>(n)), row(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        std::copy(d.begin() + i * n, d.begin() + (i + 1) * n, row.begin());
        std::nth_element(row.begin(), row.begin() + k, row.end());  // row[0] is the point itself
        core[size_t(i)] = row[size_t(k)];
    }
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j)
            if (i != j) d[size_t(i * n + j)] = std::max({d[size_t(i * n + j)], core[size_t(i)], core[size_t(j)]});
    return d;
}

Result<DensityClustering> densityClusters(const std::vector<double>& points, int64_t n, int64_t dim,
                                          const DensityClusterOptions& options) {
    if (n < 2) return invalidInput("density clustering needs at least 2 points, got " + std::to_string(n));
    if (dim < 1 || int64_t(points.size()) != n * dim) return invalidInput("density clustering: the points do not fill n x dim");
    if (options.minClusterSize < 2) return invalidInput("the minimum cluster size must be at least 2");
    for (double v : points)
        if (!std::isfinite(v)) return invalidInput("density clustering: a coordinate is not finite");
    const int64_t k = options.minSamples > 0 ? options.minSamples : options.minClusterSize;
    const auto reach = mutualReachability(points, n, dim, k);
    const Linkage link = singleLinkage(spanningTree(reach, n), n);
    // Coincident points are at distance 0: their density is capped, not infinite.
    const double top = *std::max_element(link.distance.begin(), link.distance.end());
    const CondensedTree tree = condense(link, n, options.minClusterSize, top > 0 ? top * 1e-12 : 1e-300);

    const int64_t m = tree.clusters;
    std::vector<double> birth(size_t(m), 0.0), stability(size_t(m), 0.0);
    std::vector<int64_t> parentOf(size_t(m), -1);
    std::vector<std::vector<int64_t>> children(static_cast<size_t>(m));
    for (const auto& row : tree.rows)
        if (row.child >= n) {
            const int64_t c = row.child - n;
            birth[size_t(c)] = row.lambda;
            parentOf[size_t(c)] = row.parent;
            children[size_t(row.parent)].push_back(c);
        }
    for (const auto& row : tree.rows) stability[size_t(row.parent)] += (row.lambda - birth[size_t(row.parent)]) * double(row.size);
    const std::vector<double> own = stability;

    // Excess of mass, leaves first (children have larger ids); the root is never chosen.
    std::vector<char> selected(size_t(m), 1);
    selected[0] = 0;
    for (int64_t c = m - 1; c >= 1; --c) {
        double subtree = 0.0;
        for (int64_t ch : children[size_t(c)]) subtree += stability[size_t(ch)];
        if (subtree > stability[size_t(c)]) {
            selected[size_t(c)] = 0;
            stability[size_t(c)] = subtree;
        } else {
            std::vector<int64_t> stack = children[size_t(c)];
            while (!stack.empty()) {
                const int64_t d = stack.back();
                stack.pop_back();
                selected[size_t(d)] = 0;
                stack.insert(stack.end(), children[size_t(d)].begin(), children[size_t(d)].end());
            }
        }
    }

    // Each point joins the chosen cluster above the one it fell out of, if any.
    std::vector<int64_t> chosenOf(size_t(m), -1);
    for (int64_t c = 1; c < m; ++c) {  // parents first: ids grow downwards
        if (selected[size_t(c)]) chosenOf[size_t(c)] = c;
        else chosenOf[size_t(c)] = chosenOf[size_t(parentOf[size_t(c)])];
    }
    std::vector<int64_t> rawLabel(size_t(n), -1);
    for (const auto& row : tree.rows)
        if (row.child < n) rawLabel[size_t(row.child)] = chosenOf[size_t(row.parent)];

    DensityClustering out;
    std::vector<int64_t> ids;
    for (int64_t c = 1; c < m; ++c)
        if (selected[size_t(c)]) ids.push_back(c);
    std::vector<DensityCluster> found;
    for (int64_t c : ids) {
        DensityCluster cl;
        for (int64_t p = 0; p < n; ++p)
            if (rawLabel[size_t(p)] == c) cl.members.push_back(p);
        cl.stability = own[size_t(c)];
        cl.birth = birth[size_t(c)];
        found.push_back(std::move(cl));
    }
    std::stable_sort(found.begin(), found.end(), [](const DensityCluster& x, const DensityCluster& y) {
        if (x.members.size() != y.members.size()) return x.members.size() > y.members.size();
        return x.members.front() < y.members.front();
    });
    out.labels.assign(size_t(n), -1);
    for (size_t i = 0; i < found.size(); ++i)
        for (int64_t p : found[i].members) out.labels[size_t(p)] = int64_t(i);
    out.clusters = std::move(found);
    return out;
}

}  // namespace cx::engine
