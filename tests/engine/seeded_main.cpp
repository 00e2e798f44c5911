// The engine tests' main: every test starts from its own fixed random state (torch's generator
// seeded from the test's name), so a test that draws random numbers gives the same numbers
// whether it runs alone (as ctest runs it), with its suite, or shuffled (--gtest_shuffle).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "test_util.h"

namespace {

class SeedEachTest : public testing::EmptyTestEventListener {
    void OnTestStart(const testing::TestInfo& test) override {
        torch::manual_seed(cx::test::seedFor(std::string(test.test_suite_name()) + "." + test.name()));
    }
};

}  // namespace

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    testing::UnitTest::GetInstance()->listeners().Append(new SeedEachTest);
    return RUN_ALL_TESTS();
}
