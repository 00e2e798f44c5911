// Density clustering (HDBSCAN): a hand-worked example (labels, stabilities and births), blobs
// with noise, blobs below the minimum size, the mutual reachability definition, invariance to
// the points' order and scale, and refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "engine/vis/density_clusters.h"

using namespace cx::engine;

namespace {

// `count` points around `centre` (dim = centre.size()), Gaussian with `spread`.
void addBlob(std::vector<double>& points, const std::vector<double>& centre, int count, double spread, std::mt19937& rng) {
    std::normal_distribution<double> noise(0.0, spread);
    for (int i = 0; i < count; ++i)
        for (double c : centre) points.push_back(c + noise(rng));
}

// The partition as sets of point indices (noise as its own set), independent of label numbers.
std::set<std::vector<int64_t>> partition(const std::vector<int64_t>& labels) {
    std::map<int64_t, std::vector<int64_t>> by;
    for (size_t i = 0; i < labels.size(); ++i) by[labels[i]].push_back(int64_t(i));
    std::set<std::vector<int64_t>> out;
    for (auto& [label, members] : by) out.insert(label < 0 ? std::vector<int64_t>{-1 - int64_t(members.size())} : members);
    return out;
}

}  // namespace

TEST(DensityClusters, TwoTriplesWorkedByHand) {
    // 1-d: {0, 1, 2} and {10, 11, 12}, minimum size 3, core = nearest other point (distance 1).
    // The root splits at mutual reachability 8 (lambda 1/8) into two clusters of 3, born at 1/8;
    // each loses all its points at distance 1 (lambda 1): stability 3 x (1 - 1/8) = 2.625, more
    // than its (empty) subtree, so both are chosen.
    const std::vector<double> points = {0, 1, 2, 10, 11, 12};
    auto got = densityClusters(points, 6, 1, {3, 1});
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got.value().labels, (std::vector<int64_t>{0, 0, 0, 1, 1, 1}));
    ASSERT_EQ(got.value().clusters.size(), 2u);
    for (const auto& c : got.value().clusters) {
        EXPECT_NEAR(c.stability, 2.625, 1e-12);
        EXPECT_NEAR(c.birth, 0.125, 1e-12);
    }
    EXPECT_EQ(got.value().clusters[1].members, (std::vector<int64_t>{3, 4, 5}));
}

TEST(DensityClusters, MutualReachabilityIsItsDefinition) {
    std::mt19937 rng(3);
    std::vector<double> points;
    addBlob(points, {0, 0, 0}, 12, 1.0, rng);
    const int64_t n = 12, dim = 3, k = 4;
    const auto m = mutualReachability(points, n, dim, k);
    auto dist = [&](int64_t i, int64_t j) {
        double s = 0;
        for (int64_t c = 0; c < dim; ++c) s += std::pow(points[size_t(i * dim + c)] - points[size_t(j * dim + c)], 2);
        return std::sqrt(s);
    };
    std::vector<double> core(n);
    for (int64_t i = 0; i < n; ++i) {
        std::vector<double> others;
        for (int64_t j = 0; j < n; ++j)
            if (j != i) others.push_back(dist(i, j));
        std::sort(others.begin(), others.end());
        core[size_t(i)] = others[size_t(k - 1)];  // the k-th nearest other point
    }
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) {
            const double want = i == j ? 0.0 : std::max({dist(i, j), core[size_t(i)], core[size_t(j)]});
            EXPECT_NEAR(m[size_t(i * n + j)], want, 1e-12) << i << "," << j;
        }
}

TEST(DensityClusters, ThreeBlobsInNoiseAreFoundWithTheirPoints) {
    std::mt19937 rng(11);
    std::vector<double> points;
    addBlob(points, {0, 0, 0, 0}, 40, 0.5, rng);
    addBlob(points, {8, 0, 0, 0}, 30, 0.5, rng);
    addBlob(points, {0, 8, 8, 0}, 20, 0.5, rng);
    std::uniform_real_distribution<double> wide(-12.0, 20.0);
    for (int i = 0; i < 15 * 4; ++i) points.push_back(wide(rng));
    auto got = densityClusters(points, 105, 4, {10});
    ASSERT_TRUE(got) << got.error().message;
    const auto& labels = got.value().labels;
    ASSERT_EQ(got.value().clusters.size(), 3u);
    // Largest first: each blob's points are (almost all) in the cluster of its rank, and no
    // cluster takes another blob's points.
    const int starts[] = {0, 40, 70, 90};
    for (int b = 0; b < 3; ++b) {
        int in = 0;
        for (int p = starts[b]; p < starts[b + 1]; ++p) {
            in += labels[size_t(p)] == b;
            EXPECT_TRUE(labels[size_t(p)] == b || labels[size_t(p)] == -1) << "blob " << b << " point " << p;
        }
        EXPECT_GE(in, (starts[b + 1] - starts[b]) * 9 / 10) << "blob " << b;
    }
    int noise = 0;
    for (int p = 90; p < 105; ++p) noise += labels[size_t(p)] == -1;
    EXPECT_GE(noise, 10);  // the scattered points are mostly noise
    for (const auto& c : got.value().clusters) EXPECT_GT(c.stability, 0.0);
}

TEST(DensityClusters, BlobsSmallerThanTheMinimumAreNoise) {
    std::mt19937 rng(5);
    std::vector<double> points;
    addBlob(points, {0, 0}, 6, 0.3, rng);
    addBlob(points, {9, 9}, 6, 0.3, rng);
    auto got = densityClusters(points, 12, 2, {7, 3});
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_TRUE(got.value().clusters.empty());
    EXPECT_EQ(got.value().labels, std::vector<int64_t>(12, -1));
    // With a minimum of 6 the same blobs are two clusters.
    auto six = densityClusters(points, 12, 2, {6, 3});
    ASSERT_TRUE(six) << six.error().message;
    EXPECT_EQ(six.value().clusters.size(), 2u);
}

TEST(DensityClusters, OrderAndScaleDoNotChangeThePartition) {
    std::mt19937 rng(7);
    std::vector<double> points;
    addBlob(points, {0, 0, 0}, 25, 0.6, rng);
    addBlob(points, {5, 5, 0}, 25, 0.6, rng);
    addBlob(points, {0, 6, 6}, 15, 1.5, rng);
    const int64_t n = 65, dim = 3;
    auto base = densityClusters(points, n, dim, {8});
    ASSERT_TRUE(base);
    std::vector<int64_t> order(n);
    for (int64_t i = 0; i < n; ++i) order[size_t(i)] = (i * 17) % n;  // 17 is prime to 65: a permutation
    std::vector<double> shuffled, scaled;
    for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < dim; ++c) shuffled.push_back(points[size_t(order[size_t(i)] * dim + c)]);
    for (double v : points) scaled.push_back(v * 3.5);
    auto perm = densityClusters(shuffled, n, dim, {8});
    auto big = densityClusters(scaled, n, dim, {8});
    ASSERT_TRUE(perm && big);
    std::vector<int64_t> back(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) back[size_t(order[size_t(i)])] = perm.value().labels[size_t(i)];
    EXPECT_EQ(partition(back), partition(base.value().labels));
    EXPECT_EQ(big.value().labels, base.value().labels);
    for (size_t c = 0; c < base.value().clusters.size(); ++c)  // stabilities scale with 1 / distance
        EXPECT_NEAR(big.value().clusters[c].stability * 3.5, base.value().clusters[c].stability, 1e-9);
}

TEST(DensityClusters, RefusesWhatItCannotCluster) {
    EXPECT_FALSE(densityClusters({1.0}, 1, 1));
    EXPECT_FALSE(densityClusters({1.0, 2.0, 3.0}, 2, 2));
    EXPECT_FALSE(densityClusters({1.0, NAN}, 2, 1));
    auto tiny = densityClusters({1.0, 2.0}, 2, 1, {1});
    ASSERT_FALSE(tiny);
    EXPECT_NE(tiny.error().message.find("minimum cluster size"), std::string::npos);
}
