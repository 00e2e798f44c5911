// Populations of units: many units of one layer scored from shared forward passes, equal to
// each unit's own run exactly.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/demo/demo_population.h"
#include "engine/pruning/population.h"
#include "engine/model/model.h"
#include "engine/model/target.h"
#include "engine/pruning/internal/scoring.h"
#include "engine/pruning/internal/sweep.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

std::shared_ptr<Model> load(const std::string& path) { return Model::load(path).value(); }

// Each unit's population scores against a run of its own: the same tensors, bit for bit.
void expectEqualToSingleRuns(const Model& m, const torch::Tensor& images, ScoreOptions options, const std::vector<int64_t>& units) {
    JobContext job;
    auto population = scorePopulation(m, images, options, units, job);
    ASSERT_TRUE(population.ok()) << population.error().message;
    ASSERT_EQ(population.value().size(), units.size());
    for (size_t u = 0; u < units.size(); ++u) {
        options.target.unit = units[u];
        auto single = scoreKernels(m, images, options, job);
        ASSERT_TRUE(single.ok()) << single.error().message;
        const auto& a = population.value()[u];
        const auto& b = single.value();
        EXPECT_EQ(a.targetRows, b.targetRows);
        EXPECT_EQ(a.relevantCount, b.relevantCount);
        ASSERT_EQ(a.scores.size(), b.scores.size()) << "unit " << units[u];
        for (const auto& [layer, s] : b.scores) {
            ASSERT_TRUE(a.scores.count(layer)) << layer;
            EXPECT_TRUE(torch::equal(a.scores.at(layer), s)) << "unit " << units[u] << ", layer " << layer;
            EXPECT_TRUE(torch::equal(a.relevant.at(layer), b.relevant.at(layer)));
        }
    }
}

}  // namespace

TEST(Population, SharedForwardsGiveEachUnitsOwnScoresExactly) {
    auto m = load(cx::test::modelPath("chain"));
    torch::manual_seed(3);
    const auto images = torch::randn({7, 3, 16, 16});  // batches of 3: the last one short
    ScoreOptions options;
    options.target = parseTarget("features.3:0").value();
    options.batchSize = 3;
    expectEqualToSingleRuns(*m, images, options, {0, 1, 2, 3, 4, 5});
    options.criterion = Criterion::Snip;
    options.target.objective = Objective::Max;
    expectEqualToSingleRuns(*m, images, options, {5, 2});
}

TEST(Population, TheDemoCnnsCurveLayerAndAResidualModel) {
    auto demo = load(std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt");
    torch::manual_seed(4);
    ScoreOptions options;
    options.target = parseTarget("features.conv4:0").value();
    options.batchSize = 4;
    expectEqualToSingleRuns(*demo, torch::rand({6, 3, 64, 64}), options, {27, 3, 40});
    auto residual = load(cx::test::modelPath("residual"));
    options.target = parseTarget("head:0").value();
    options.granularity = Granularity::Filter;
    expectEqualToSingleRuns(*residual, torch::randn({5, 3, 16, 16}), options, {0, 1});
}

TEST(Population, RefusesForceAndUnitsOutsideTheLayer) {
    auto m = load(cx::test::modelPath("chain"));
    const auto images = torch::randn({2, 3, 16, 16});
    ScoreOptions options;
    options.target = parseTarget("features.3:0").value();
    JobContext job;
    auto outside = scorePopulation(*m, images, options, {0, 6}, job);
    ASSERT_FALSE(outside.ok());
    EXPECT_NE(outside.error().message.find("units 0..5"), std::string::npos) << outside.error().message;
    options.criterion = Criterion::Force;
    auto force = scorePopulation(*m, images, options, {0}, job);
    ASSERT_FALSE(force.ok());
    EXPECT_NE(force.error().message.find("FORCE"), std::string::npos);
    EXPECT_FALSE(scorePopulation(*m, images, ScoreOptions{options.target}, {}, job).ok());
}

TEST(Population, APopulationSweepEqualsEachUnitsOwnSweep) {
    auto m = load(cx::test::modelPath("chain"));
    torch::manual_seed(8);
    const auto images = torch::randn({6, 3, 16, 16});
    SweepSettings settings;
    settings.target = parseTarget("features.3:0").value();
    settings.criteria = {Criterion::ActGrad, Criterion::Snip, Criterion::Force, Criterion::Magnitude, Criterion::Random};
    settings.sparsities = {0.5, 0.2, 0.05};
    settings.batchSize = 4;
    const std::vector<int64_t> units = {4, 1, 2};
    JobContext job;
    auto population = sweepPopulation(*m, images, images, settings, units, job);
    ASSERT_TRUE(population.ok()) << population.error().message;
    const size_t perUnit = settings.criteria.size() * settings.sparsities.size();
    ASSERT_EQ(population.value().size(), units.size() * perUnit);
    for (size_t u = 0; u < units.size(); ++u) {
        settings.target.unit = units[u];
        auto single = sweepCircuits(*m, images, images, settings, job);
        ASSERT_TRUE(single.ok()) << single.error().message;
        for (size_t k = 0; k < perUnit; ++k) {
            const auto& a = population.value()[u * perUnit + k];
            const auto& b = single.value()[k];
            EXPECT_EQ(a.unit, units[u]);
            EXPECT_EQ(b.unit, -1);
            EXPECT_EQ(a.criterion, b.criterion);
            EXPECT_EQ(a.sparsity, b.sparsity);
            EXPECT_EQ(a.kept, b.kept);
            EXPECT_EQ(a.effectiveKept, b.effectiveKept);
            EXPECT_EQ(a.pearson, b.pearson) << "unit " << units[u] << " " << nameOf(a.criterion) << " " << a.sparsity;
            EXPECT_EQ(a.dfnorm, b.dfnorm);
        }
    }
}

TEST(Population, QuartilesOverUnitsInterpolateAndCountDisconnectedAsZero) {
    std::vector<CurvePoint> points;
    const double values[] = {0.4, 0.1, 0.3, 0.2};
    for (int u = 0; u < 4; ++u) {
        CurvePoint p;
        p.criterion = Criterion::ActGrad;
        p.sparsity = 0.1;
        p.pearson = values[u];
        p.unit = u;
        points.push_back(p);
        p.criterion = Criterion::Random;
        p.disconnected = u == 0;  // counts as 0 whatever its r says
        points.push_back(p);
    }
    const auto rows = populationQuartiles(points);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].criterion, Criterion::ActGrad);
    EXPECT_EQ(rows[0].units, 4);
    EXPECT_NEAR(rows[0].q1, 0.175, 1e-12);  // numpy.quantile([.1, .2, .3, .4], .25)
    EXPECT_NEAR(rows[0].median, 0.25, 1e-12);
    EXPECT_NEAR(rows[0].q3, 0.325, 1e-12);
    EXPECT_NEAR(rows[1].median, 0.15, 1e-12);  // 0, .1, .2, .3
}

TEST(Population, ShardsAreContiguousAndJoinToTheWholeList) {
    const std::vector<int64_t> units = {9, 3, 7, 1, 0, 4, 8};
    for (int n = 1; n <= 7; ++n) {
        std::vector<int64_t> joined;
        size_t smallest = units.size(), largest = 0;
        for (int i = 0; i < n; ++i) {
            auto part = shardOf(units, std::to_string(i) + "/" + std::to_string(n));
            ASSERT_TRUE(part.ok()) << part.error().message;
            smallest = std::min(smallest, part.value().size());
            largest = std::max(largest, part.value().size());
            joined.insert(joined.end(), part.value().begin(), part.value().end());
        }
        EXPECT_EQ(joined, units) << n << " shards";
        EXPECT_LE(largest - smallest, 1u);
    }
    EXPECT_FALSE(shardOf(units, "8/8").ok());  // more shards than units, and I = N
    EXPECT_FALSE(shardOf(units, "1").ok());
    EXPECT_FALSE(shardOf(units, "-1/2").ok());
    EXPECT_EQ(parseUnits("0-2,5", 6).value(), (std::vector<int64_t>{0, 1, 2, 5}));
    EXPECT_FALSE(parseUnits("", 6).ok());
}
