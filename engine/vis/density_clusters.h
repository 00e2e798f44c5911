#pragma once
// Density clustering with a minimum cluster size (HDBSCAN, Campello et al. 2013; McInnes et al.
// 2017, the library seed 002 used): mutual reachability distances, their minimum spanning tree,
// the condensed cluster tree and excess-of-mass selection. Plain C++ (no torch): the engine's
// polysemantic-unit analysis uses it, and tests check it against a brute-force hierarchy.
#include <cstdint>
#include <vector>

#include "engine/core/error.h"

namespace cx::engine {

struct DensityClusterOptions {
    int64_t minClusterSize = 10;  // a split leaves a cluster only when both sides keep this many points
    int64_t minSamples = 0;       // the neighbour that sets a point's core distance; 0: minClusterSize
};

struct DensityCluster {
    std::vector<int64_t> members;  // point indices, ascending
    double stability = 0.0;        // its excess of mass
    double birth = 0.0;            // the density (1 / distance) at which it appears
};

struct DensityClustering {
    std::vector<int64_t> labels;            // per point: its cluster, or -1 (noise)
    std::vector<DensityCluster> clusters;   // largest first (ties: the lower first member)
};

/// Clusters `n` points of `dim` coordinates each (row-major, Euclidean distances). O(n^2) time
/// and memory (n of a few thousand at most: the top patches of one unit). As the library by
/// default, the whole set is never one cluster: one dense blob gives its sub-clusters or none.
/// Refuses fewer than
/// two points, non-finite coordinates and a minimum cluster size below 2.
Result<DensityClustering> densityClusters(const std::vector<double>& points, int64_t n, int64_t dim,
                                          const DensityClusterOptions& options = {});

/// The mutual reachability distances (n x n, row-major) that densityClusters builds its tree
/// on: max(core(a), core(b), |a - b|), core(a) the distance to a's k-th nearest other point.
std::vector<double> mutualReachability(const std::vector<double>& points, int64_t n, int64_t dim, int64_t k);

}  // namespace cx::engine
