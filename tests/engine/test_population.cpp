// Populations of units: many units of one layer scored from shared forward passes, equal to
// each unit's own run exactly.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/demo/demo_population.h"
#include "engine/pruning/curve_csv.h"
#include "engine/pruning/population.h"
#include "engine/pruning/population_stats.h"
#include "engine/model/model.h"
#include "engine/model/target.h"
#include "engine/pruning/internal/circuit.h"
#include "engine/pruning/internal/preservation.h"
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

// A disconnected circuit is evaluated on two images (every image gives the same values): its
// delta-f-norm equals the one from a forward pass over every image.
TEST(Population, DisconnectedCircuitsAreEvaluatedAsIfOnEveryImage) {
    auto demo = load(std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt");
    torch::manual_seed(3);
    const auto images = torch::rand({40, 3, 64, 64});
    SweepSettings settings;
    settings.target = parseTarget("features.conv4:27").value();
    settings.criteria = {Criterion::Magnitude};
    settings.sparsities = {0.01, 0.001};
    JobContext job;
    auto swept = sweepCircuits(*demo, images, images, settings, job);
    ASSERT_TRUE(swept.ok()) << swept.error().message;
    auto scores = scoreKernels(*demo, images, ScoreOptions{settings.target, Criterion::Magnitude}, job);
    ASSERT_TRUE(scores.ok());
    const auto original = targetActivations(*demo, images, settings.target, nullptr, 32, job);
    for (size_t j = 0; j < settings.sparsities.size(); ++j) {
        const auto& p = swept.value()[j];
        ASSERT_TRUE(p.disconnected) << p.sparsity;
        auto circuit = selectCircuit(*demo, scores.value(), {settings.sparsities[j], false, BiasMode::Masked});
        ASSERT_TRUE(circuit.ok());
        const auto everyImage = targetActivations(*demo, images, settings.target, &circuit.value(), 32, job);
        EXPECT_TRUE(torch::equal(everyImage[0], everyImage[39]));  // the premise: one value per position for all images
        EXPECT_NEAR(p.dfnorm, deltaFNorm(original, everyImage), 1e-12) << p.sparsity;
        EXPECT_EQ(p.pearson, 0.0);
    }
}

// A population sweep's progress rises through each criterion's shared scoring pass (batch by
// batch) and then its units, and never goes back.
TEST(Population, SweepProgressRisesThroughScoringAndUnits) {
    auto m = load(cx::test::modelPath("chain"));
    torch::manual_seed(2);
    const auto images = torch::randn({8, 3, 16, 16});
    SweepSettings settings;
    settings.target = parseTarget("features.3:0").value();
    settings.criteria = {Criterion::ActGrad, Criterion::Random};
    settings.sparsities = {0.5, 0.1};
    settings.batchSize = 2;
    JobContext job;
    std::vector<std::pair<std::string, double>> seen;
    job.onProgress = [&](const Progress& p) { seen.emplace_back(p.stage, p.fraction); };
    ASSERT_TRUE(sweepPopulation(*m, images, images, settings, {0, 1, 2, 3}, job).ok());
    ASSERT_FALSE(seen.empty());
    for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i].second, seen[i - 1].second) << seen[i].first << " after " << seen[i - 1].first;
    EXPECT_DOUBLE_EQ(seen.back().second, 1.0);
    size_t scoringSteps = 0;  // ActGrad's 4 batches, inside its first quarter of half the run
    for (const auto& [stage, fraction] : seen) scoringSteps += stage == "score actgrad" && fraction > 0 && fraction <= 0.125;
    EXPECT_EQ(scoringSteps, 4u);
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

TEST(Population, QuartilesOfDeltaFNormKeepADisconnectedCircuitsValue) {
    std::vector<CurvePoint> points(3);
    for (int u = 0; u < 3; ++u) {
        points[size_t(u)].unit = u;
        points[size_t(u)].dfnorm = 0.5 * (u + 1);  // .5, 1, 1.5
        points[size_t(u)].pearson = 0.9;
    }
    points[2].disconnected = true;
    const auto rows = populationQuartiles(points, CurveMetric::DeltaFNorm);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_DOUBLE_EQ(rows[0].median, 1.0);
    EXPECT_DOUBLE_EQ(rows[0].q3, 1.25);
    EXPECT_DOUBLE_EQ(populationQuartiles(points)[0].q1, 0.45);  // |r|: .9, .9, 0
    EXPECT_EQ(unitsOf(points), (std::vector<int64_t>{0, 1, 2}));
    EXPECT_EQ(sparsitiesOf(points), (std::vector<double>{0.0}));
}

// What cx sweep writes reads back into the same points; every malformed field is named.
TEST(Population, CurveCsvReadsBackWhatCxSweepWritesAndRefusesBadRows) {
    std::vector<CurvePoint> points;
    for (int u : {5, 2})
        for (Criterion c : {Criterion::ActGrad, Criterion::Random})
            for (double s : {0.5, 0.01}) {
                CurvePoint p{c, s, 1000, int64_t(1000 * s), int64_t(900 * s), s < 0.05 && u == 2, 0.123456789 * u / 5, 0.25 + s};
                p.unit = u;
                points.push_back(p);
            }
    for (bool population : {true, false}) {
        auto written = points;
        if (!population) {
            written.resize(4);
            for (auto& p : written) p.unit = -1;
        }
        auto read = parseCurveCsv(curveCsv(written));
        ASSERT_TRUE(read.ok()) << read.error().message;
        ASSERT_EQ(read.value().size(), written.size());
        for (size_t i = 0; i < written.size(); ++i) {
            const auto &a = read.value()[i], &b = written[i];
            EXPECT_EQ(a.unit, b.unit);
            EXPECT_EQ(a.criterion, b.criterion);
            EXPECT_EQ(a.sparsity, b.sparsity);
            EXPECT_EQ(a.relevant, b.relevant);
            EXPECT_EQ(a.kept, b.kept);
            EXPECT_EQ(a.effectiveKept, b.effectiveKept);
            EXPECT_EQ(a.disconnected, b.disconnected);
            EXPECT_NEAR(a.pearson, b.pearson, 1e-9);  // 9 significant digits, as written
            EXPECT_NEAR(a.dfnorm, b.dfnorm, 1e-9);
        }
    }
    const std::string header = "unit,criterion,sparsity,relevant,kept,effective_kept,effective_sparsity,disconnected,pearson,dfnorm\n";
    const std::string row = "3,actgrad,0.1,100,10,8,0.08,0,0.5,0.2\n";
    ASSERT_TRUE(parseCurveCsv(header + row).ok());
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"", "empty"},
        {"a,b\n" + row, "line 1"},
        {header, "no rows"},
        {header + "3,actgrad,0.1,100,10,8,0.08,0,0.5\n", "line 2: expected 10 fields, found 9"},
        {header + "3,bogus,0.1,100,10,8,0.08,0,0.5,0.2\n", "bogus"},
        {header + "x,actgrad,0.1,100,10,8,0.08,0,0.5,0.2\n", "unit"},
        {header + "3,actgrad,0,100,10,8,0.08,0,0.5,0.2\n", "sparsity"},
        {header + "3,actgrad,0.1,100,10,8,0.08,0,1.5,0.2\n", "pearson"},
        {header + "3,actgrad,0.1,100,10,8,0.08,0,nan,0.2\n", "pearson"},
        {header + "3,actgrad,0.1,100,200,8,0.08,0,0.5,0.2\n", "kept <= relevant"},
        {header + "3,actgrad,0.1,100,10,8,0.08,0.5,0.5,0.2\n", "disconnected"},
        {header + row + row, "line 3: the same unit"},
    };
    for (const auto& [text, says] : bad) {
        auto read = parseCurveCsv(text);
        ASSERT_FALSE(read.ok()) << text;
        EXPECT_NE(read.error().message.find(says), std::string::npos) << read.error().message;
    }
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
