// Probe sets: the strokes are where their parameters put them, inside the unit's field; the
// surface is the unit's centre value on each probe, in the model and in the circuit; the demo's
// curve unit's arc and line surfaces agree; bad requests are refused.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/pruning/internal/mask_function.h"
#include "engine/vis/probe_sets.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

const std::string kDemo = std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt";

std::shared_ptr<Workspace> open(const std::string& path) {
    auto w = Workspace::open(path);
    return w ? w.take() : nullptr;
}

ProbeSpec demoSpec(ProbeKind kind, int64_t rows, int64_t columns) {
    ProbeSpec s;
    s.kind = kind;
    s.rows = rows;
    s.columns = columns;
    s.height = s.width = 64;
    s.normalize = false;
    return s;
}

torch::Tensor asImages(std::vector<float>& v, const ProbeSpec& s) {
    return torch::from_blob(v.data(), {s.rows * s.columns, 3, s.height, s.width}, torch::kFloat32);
}

}  // namespace

TEST(ProbeSets, StrokesLieWhereTheirParametersPutThemInsideTheField) {
    auto w = open(kDemo);
    ASSERT_TRUE(w);
    ProbeGrid grid;
    // Lines: offset 0 passes through the centre pixel; orientation 0 is horizontal.
    auto lineSpec = demoSpec(ProbeKind::Lines, 3, 4);
    auto lines = probeImages(*w, "features.conv4", lineSpec, grid);
    ASSERT_TRUE(lines) << lines.error().message;
    EXPECT_EQ(grid.rowName, "offset");
    EXPECT_EQ(grid.columnValues, (std::vector<double>{0, 45, 90, 135}));
    EXPECT_EQ(grid.rowValues[1], 0.0);
    // conv4's 28 x 28 field (cx inspect: start -12, jump 4) at the 16 x 16 map's centre (8, 8): rows 20..47.
    EXPECT_EQ(grid.field, (std::array<int64_t, 4>{20, 20, 47, 47}));
    EXPECT_EQ(grid.centreRow, 33);
    EXPECT_EQ(grid.centreCol, 33);
    auto img = asImages(lines.value(), lineSpec);
    const auto horizontal = img[1 * 4 + 0][0];  // offset 0, orientation 0
    EXPECT_FLOAT_EQ(horizontal[33][25].item<float>(), 1.0f);
    EXPECT_FLOAT_EQ(horizontal[36][25].item<float>(), 0.0f);
    EXPECT_FLOAT_EQ(horizontal[33][10].item<float>(), 0.0f);  // outside the field: black
    const auto vertical = img[1 * 4 + 2][0];
    EXPECT_FLOAT_EQ(vertical[25][33].item<float>(), 1.0f);
    EXPECT_FLOAT_EQ(vertical[25][36].item<float>(), 0.0f);
    // Arcs: the midpoint is the centre pixel; rotation 0 bulges right, so the ends lie left of it.
    auto arcSpec = demoSpec(ProbeKind::Arcs, 2, 4);
    auto arcs = probeImages(*w, "features.conv4", arcSpec, grid);
    ASSERT_TRUE(arcs);
    auto a = asImages(arcs.value(), arcSpec);
    const double r = grid.rowValues[1];
    const auto right = a[1 * 4 + 0][0];
    EXPECT_FLOAT_EQ(right[33][33].item<float>(), 1.0f);
    // The circle's centre is r to the left; the arc's end at 45 degrees up from there.
    const int64_t endRow = std::lround(33 - r * std::sin(M_PI / 4)), endCol = std::lround(33 - r + r * std::cos(M_PI / 4));
    EXPECT_GT(right[endRow][endCol].item<float>(), 0.3f);
    EXPECT_FLOAT_EQ(right[33][std::lround(33 - 2 * r) + 1].item<float>(), 0.0f);  // the far side of the circle is not drawn
    // Colours fill the field: hue 0 at full brightness is red.
    auto colourSpec = demoSpec(ProbeKind::Colours, 2, 3);
    auto colours = probeImages(*w, "features.conv4", colourSpec, grid);
    ASSERT_TRUE(colours);
    auto c = asImages(colours.value(), colourSpec);
    EXPECT_FLOAT_EQ(c[1 * 3 + 0][0][30][30].item<float>(), 1.0f);
    EXPECT_FLOAT_EQ(c[1 * 3 + 0][1][30][30].item<float>(), 0.0f);
    EXPECT_FLOAT_EQ(c[1 * 3 + 0][0][5][5].item<float>(), 0.0f);
}

TEST(ProbeSets, TheSurfaceIsTheUnitsCentreValueInTheModelAndTheCircuit) {
    auto w = open(kDemo);
    ASSERT_TRUE(w);
    const Model& m = *w->model();
    const int layer = m.summary().indexOf("features.conv2");
    const auto weight = m.impl().param(m.summary().layers[size_t(layer)].param);
    auto grid = torch::ones({weight.size(0), weight.size(1)}, torch::kBool);
    grid[3].narrow(0, 0, 8).fill_(false);
    auto mask = std::make_shared<Mask>();
    mask->data.granularity = Granularity::Kernel;
    mask->data.masks[layer] = grid;
    const auto spec = demoSpec(ProbeKind::Corners, 3, 8);
    JobContext job;
    auto s = activationSurface(*w, mask, "features.conv2", 3, spec, job);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_EQ(s.value().model.size(), 24u);
    ASSERT_EQ(s.value().circuit.size(), 24u);
    ProbeGrid g;
    auto images = probeImages(*w, "features.conv2", spec, g).take();
    const auto x = asImages(images, spec);
    auto plain = ForwardPlan::build(m, {{layer, ProbeSide::Output}}, false).take();
    auto overrides = maskOverrides(m, mask->data, nullptr, "cpu").take();
    auto masked = ForwardPlan::build(m, {{layer, ProbeSide::Output}}, false, overrides.params).take();
    torch::NoGradGuard off;
    const auto ym = plain.run({x}).probes[0].select(1, 3);
    const auto yc = masked.run({x}, overrides.tensors).probes[0].select(1, 3);
    const int64_t h = ym.size(1) / 2, wd = ym.size(2) / 2;
    double changed = 0;
    for (int64_t i = 0; i < 24; ++i) {
        EXPECT_NEAR(s.value().model[size_t(i)], ym[i][h][wd].item<double>(), 1e-5);
        EXPECT_NEAR(s.value().circuit[size_t(i)], yc[i][h][wd].item<double>(), 1e-5);
        changed += std::abs(s.value().model[size_t(i)] - s.value().circuit[size_t(i)]);
    }
    EXPECT_GT(changed, 0.0);
}

// Seed 002's circle-detector study on the demo's "curve" unit: over arcs it is orientation-
// selective, and the arc it prefers is the one whose tangent at the centre is the line it
// prefers (rotation = orientation + 90 degrees): at its centre it reads an oriented stroke.
TEST(ProbeSets, TheDemoCurveUnitsArcAndLineSurfacesAgree) {
    auto w = open(kDemo);
    ASSERT_TRUE(w);
    JobContext job;
    auto arcSpec = demoSpec(ProbeKind::Arcs, 6, 24), lineSpec = demoSpec(ProbeKind::Lines, 6, 24);
    arcSpec.strokeWidth = lineSpec.strokeWidth = 3;  // the demo shapes' strokes
    auto arcs = activationSurface(*w, nullptr, "features.conv4", 27, arcSpec, job);
    auto lines = activationSurface(*w, nullptr, "features.conv4", 27, lineSpec, job);
    ASSERT_TRUE(arcs && lines);
    const auto argmax = [](const std::vector<double>& v) { return size_t(std::max_element(v.begin(), v.end()) - v.begin()); };
    const size_t bestArc = argmax(arcs.value().model), bestLine = argmax(lines.value().model);
    const double arcRotation = arcs.value().grid.columnValues[bestArc % 24];
    const double lineOrientation = lines.value().grid.columnValues[bestLine % 24];
    const double gap = std::fmod(std::abs(std::fmod(arcRotation - 90 + 360, 180) - lineOrientation), 180);
    EXPECT_LE(std::min(gap, 180 - gap), 15.0) << "arc rotation " << arcRotation << ", line orientation " << lineOrientation;
    // Selective: along the best radius, the worst rotation gives less than half the best.
    const size_t row = bestArc / 24;
    const auto first = arcs.value().model.begin() + long(row * 24);
    const double hi = *std::max_element(first, first + 24), lo = *std::min_element(first, first + 24);
    EXPECT_LT(lo, 0.5 * hi) << lo << " vs " << hi;
}

TEST(ProbeSets, BadRequestsAreRefused) {
    auto w = open(kDemo);
    ASSERT_TRUE(w);
    JobContext job;
    auto noLayer = activationSurface(*w, nullptr, "features.conv9", 0, demoSpec(ProbeKind::Arcs, 2, 2), job);
    ASSERT_FALSE(noLayer);
    EXPECT_NE(noLayer.error().message.find("no layer 'features.conv9'"), std::string::npos);
    auto badUnit = activationSurface(*w, nullptr, "features.conv4", 48, demoSpec(ProbeKind::Arcs, 2, 2), job);
    ASSERT_FALSE(badUnit);
    EXPECT_NE(badUnit.error().message.find("unit 48 is outside"), std::string::npos);
    auto huge = activationSurface(*w, nullptr, "features.conv4", 0, demoSpec(ProbeKind::Arcs, 100, 100), job);
    ASSERT_FALSE(huge);
    EXPECT_NE(huge.error().message.find("1..4096 cells"), std::string::npos);
    EXPECT_FALSE(parseProbeKind("circles"));
}
