#include <gtest/gtest.h>

#include "engine/model/model.h"
#include "engine/model/target.h"
#include "test_util.h"

using namespace cx::engine;

TEST(Target, ParsesLayerAndUnit) {
    auto t = parseTarget("features.conv4:12");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t.value().layer, "features.conv4");
    EXPECT_EQ(t.value().unit, 12);
    EXPECT_EQ(t.value().text(), "features.conv4:12");
    auto plain = parseTarget("head");
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(plain.value().unit, -1);
    EXPECT_FALSE(parseTarget("conv:x").ok());
    EXPECT_FALSE(parseTarget(":3").ok());
}

TEST(Target, Objectives) {
    TargetSpec t;
    ASSERT_TRUE(parseObjective("max", t).ok());
    EXPECT_EQ(t.objective, Objective::Max);
    ASSERT_TRUE(parseObjective("position:3,4", t).ok());
    EXPECT_EQ(t.objective, Objective::Position);
    EXPECT_EQ(t.positionH, 3);
    EXPECT_EQ(t.positionW, 4);
    EXPECT_EQ(objectiveText(t), "position:3,4");
    auto bad = parseObjective("median", t);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("sum-abs"), std::string::npos);
}

TEST(Target, ResolveAgainstAModelNamesWhatIsWrong) {
    auto m = Model::load(cx::test::modelPath("concat"));
    ASSERT_TRUE(m.ok());
    const auto& s = m.value()->summary();
    auto ok = resolveTarget(s, parseTarget("merge:2").value());
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok.value(), s.indexOf("merge"));
    auto unknown = resolveTarget(s, parseTarget("nope:0").value());
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message.find("layers: dead, a, b, merge"), std::string::npos);
    auto range = resolveTarget(s, parseTarget("merge:3").value());
    ASSERT_FALSE(range.ok());
    EXPECT_NE(range.error().message.find("units 0..2"), std::string::npos);
    TargetSpec dir = parseTarget("merge").value();
    dir.direction = {1.0, 0.0};
    EXPECT_NE(resolveTarget(s, dir).error().message.find("has 2 coefficients"), std::string::npos);
    dir.direction = {0.0, 0.0, 0.0};
    EXPECT_NE(resolveTarget(s, dir).error().message.find("all zeros"), std::string::npos);
    dir.direction = {0.5, 0.0, -1.0};
    EXPECT_TRUE(resolveTarget(s, dir).ok());
}
