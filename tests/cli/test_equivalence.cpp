// `cx equivalence` on circuits of the demo CNN: a circuit is contained in its model and in a larger
// circuit of the same target (ActGrad's top-k sets are nested), not the other way round, and not
// as the same function when the larger one's extra inputs count.
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_run.h"

namespace {

const std::string kModel = CX_DEMO_MODEL;

struct Masks {
    std::string small, large;
};

const Masks& masks() {
    static const Masks m = [] {
        const std::string dir = cxtest::cliTempDir();
        const std::string images = dir + "/shapes.safetensors", scores = dir + "/s27.safetensors";
        EXPECT_EQ(cxtest::runCx("demo images --count 64 --seed 5 --out " + images).code, 0);
        EXPECT_EQ(cxtest::runCx("score " + kModel + " --images " + images + " --target features.conv4:27 --out " + scores).code, 0);
        Masks out{dir + "/m05.safetensors", dir + "/m10.safetensors"};
        EXPECT_EQ(cxtest::runCx("prune " + kModel + " --scores " + scores + " --sparsity 0.05 --out " + out.small).code, 0);
        EXPECT_EQ(cxtest::runCx("prune " + kModel + " --scores " + scores + " --sparsity 0.1 --out " + out.large).code, 0);
        return out;
    }();
    return m;
}

// Whether every layer of the JSON answer is contained; and the units of A matched in all.
std::pair<bool, int> containedAll(const std::string& args) {
    auto r = cxtest::runCx("equivalence " + args + " --json");
    EXPECT_EQ(r.code, 0) << args << "\n" << r.err;
    if (r.code != 0) return {false, 0};
    const auto j = nlohmann::json::parse(r.out);
    bool all = true;
    int matched = 0;
    for (const auto& l : j["layers"]) {
        all = all && l["contained"].get<bool>();
        matched += l["matched"].get<int>();
        EXPECT_EQ(l["matched"].get<size_t>() + l["unmatched"].size(), l["units_a"].get<size_t>());
    }
    EXPECT_FALSE(j["layers"].empty());
    return {all, matched};
}

}  // namespace

TEST(CliEquivalence, ACircuitIsContainedInItsModelAndInALargerCircuit) {
    const auto& m = masks();
    const std::string both = kModel + " " + kModel;
    EXPECT_TRUE(containedAll(both + " --mask-a " + m.small).first);
    EXPECT_TRUE(containedAll(both + " --mask-a " + m.large).first);
    const auto [inLarger, matched] = containedAll(both + " --mask-a " + m.small + " --mask-b " + m.large);
    EXPECT_TRUE(inLarger);
    EXPECT_GT(matched, 3);
    EXPECT_FALSE(containedAll(both + " --mask-a " + m.large + " --mask-b " + m.small).first);
    EXPECT_FALSE(containedAll(both + " --mask-a " + m.small + " --mask-b " + m.large + " --whole").first);
    // As a network: conv2 -> conv3 -> conv4 in order, each layer's inputs through the matching below.
    auto net = cxtest::runCx("equivalence " + both + " --mask-a " + m.small + " --mask-b " + m.large +
                             " --layers features.conv2,features.conv3,features.conv4 --network --json");
    ASSERT_EQ(net.code, 0) << net.err;
    const auto j = nlohmann::json::parse(net.out);
    EXPECT_TRUE(j["network_contained"].get<bool>());
    EXPECT_EQ(j["mode"], "same");
    const auto last = j["layers"].back();
    EXPECT_EQ(last["pairs"][0]["a"], "features.conv4:27");
    EXPECT_EQ(last["pairs"][0]["b"], "features.conv4:27");
    auto text = cxtest::runCx("equivalence " + both + " --mask-a " + m.small + " --layers features.conv4");
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_NE(text.out.find("1 of 1 units of A have an equivalent"), std::string::npos) << text.out;
    // The regular-language view: the strings and the similarity of every pair, written atomically.
    const std::string dir = cxtest::cliTempDir();
    auto files = cxtest::runCx("equivalence " + both + " --mask-a " + m.small + " --layers features.conv4 --strings " + dir +
                               "/s.txt --similarity " + dir + "/sim.csv --prefilter 0.5 --json");
    ASSERT_EQ(files.code, 0) << files.err;
    std::ifstream strings(dir + "/s.txt"), sim(dir + "/sim.csv");
    const std::string s((std::istreambuf_iterator<char>(strings)), std::istreambuf_iterator<char>());
    EXPECT_NE(s.find("# A features.conv4\nfeatures.conv4:27:"), std::string::npos) << s;
    std::string header, line;
    std::getline(sim, header);
    EXPECT_EQ(header, "layer,a,b,similarity");
    int rows = 0;
    while (std::getline(sim, line)) rows += !line.empty();
    EXPECT_EQ(rows, 48);  // A's one unit against the model's 48
    // The unit against itself in the model reads the same string: the prefilter keeps that pair.
    EXPECT_TRUE(nlohmann::json::parse(files.out)["layers"][0]["contained"].get<bool>());
}

// Two model files (scripted and traced exports of one network): compared up to a permutation of
// the inputs by default, every unit finds its namesake.
TEST(CliEquivalence, TwoModelFilesAreComparedUpToAPermutation) {
    const std::string dir = std::string(CX_TEST_DATA) + "/models/";
    auto r = cxtest::runCx("equivalence " + dir + "chain.pt " + dir + "chain_traced.pt --json");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["mode"], "permuted");
    ASSERT_EQ(j["layers"].size(), 5u);
    for (const auto& l : j["layers"]) {
        EXPECT_TRUE(l["contained"].get<bool>()) << l["layer_a"];
        for (const auto& p : l["pairs"]) {
            EXPECT_EQ(p["a"], p["b"]);
            EXPECT_FALSE(p["inputs"].empty());
        }
    }
}

TEST(CliEquivalence, BadArgumentsAreRefusedWithTheReason) {
    const std::string lm = std::string(CX_TEST_DATA) + "/text/trigger_lm.pt";
    for (const auto& [args, reason] : std::vector<std::pair<std::string, std::string>>{
             {kModel, "two model files"},
             {kModel + " " + kModel + " --same --permuted", "do not go together"},
             {kModel + " " + kModel + " --max-fan-in 31", "--max-fan-in must lie in 0..30"},
             {kModel + " " + kModel + " --prefilter 0.5 --network", "not with --network"},
             {kModel + " " + kModel + " --layers nothing", "no layer 'nothing'"},
             {kModel + " " + lm, "no layer of the same name"},
             {kModel + " " + kModel + " --mask-a /nonexistent.safetensors", "nonexistent"},
             {kModel + " " + kModel + " --layers features.conv2,classifier.fc2 --network", "the channels of the layer before it"}}) {
        auto r = cxtest::runCx("equivalence " + args);
        EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
        EXPECT_NE(r.err.find(reason), std::string::npos) << args << ": " << r.err;
    }
}
