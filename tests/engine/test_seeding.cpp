// The seeding fixture (seeded_main.cpp): each test's random numbers depend on its name only.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "test_util.h"

TEST(Seeding, EveryTestStartsFromTheSeedOfItsName) {
    const auto drawn = torch::rand({4});
    torch::manual_seed(cx::test::seedFor("Seeding.EveryTestStartsFromTheSeedOfItsName"));
    EXPECT_TRUE(torch::equal(drawn, torch::rand({4})));
}

TEST(Seeding, AnotherTestStartsFromAnotherSeed) {
    const auto drawn = torch::rand({4});
    torch::manual_seed(cx::test::seedFor("Seeding.EveryTestStartsFromTheSeedOfItsName"));
    EXPECT_FALSE(torch::equal(drawn, torch::rand({4})));
}

TEST(Seeding, TheSeedIsFnv1aOfTheName) {  // the published 64-bit FNV-1a vectors
    EXPECT_EQ(cx::test::seedFor(""), 0xcbf29ce484222325ull);
    EXPECT_EQ(cx::test::seedFor("a"), 0xaf63dc4c8601ec8cull);
    EXPECT_EQ(cx::test::seedFor("foobar"), 0x85944171f73967e8ull);
}
