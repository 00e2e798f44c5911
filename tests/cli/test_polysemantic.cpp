// `cx polysemantic` end to end on the demo CNN: clusters.json agrees with itself (one example per
// image, best first, labels and members the same partition), every file it names is there, the
// chosen masks are the levels the curves say; bad arguments are refused with exit code 2.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_run.h"

namespace {

namespace fs = std::filesystem;

const std::string kDemo = std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt";

}  // namespace

TEST(CliPolysemantic, ClustersSubcircuitsAndTheirFiles) {
    const std::string dir = cxtest::cliTempDir(), images = dir + "/shapes.safetensors", out = dir + "/poly";
    ASSERT_EQ(cxtest::runCx("demo images --count 160 --out " + images).code, 0);
    auto r = cxtest::runCx("polysemantic " + kDemo + " --images " + images + " --target features.conv4:34"
                           " --top 80 --min-cluster-size 8 --sparsities 0.5,0.2,0.1,0.05 --control --json --out " + out);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["format"], "cx-polysemantic/1");
    const auto& examples = j["examples"];
    ASSERT_EQ(examples.size(), 80u);
    std::set<int> images_seen;
    for (size_t i = 0; i < examples.size(); ++i) {
        EXPECT_TRUE(images_seen.insert(examples[i]["image"].get<int>()).second) << "one example per image";
        if (i > 0) EXPECT_GE(examples[i - 1]["value"].get<double>(), examples[i]["value"].get<double>());
    }
    // The clusters' members are exactly the examples labelled with them.
    const auto& groups = j["groups"];
    size_t clusters = 0;
    for (const auto& g : groups) clusters += g["kind"] == "cluster";
    ASSERT_GE(clusters, 1u) << r.out;
    for (size_t c = 0; c < clusters; ++c) {
        std::vector<int> labelled;
        for (size_t i = 0; i < examples.size(); ++i)
            if (examples[i]["cluster"] == int(c)) labelled.push_back(int(i));
        EXPECT_EQ(groups[c]["members"].get<std::vector<int>>(), labelled) << c;
        EXPECT_GE(labelled.size(), 8u);
    }
    ASSERT_EQ(groups.size(), clusters + 2) << "two control halves";
    EXPECT_EQ(j["sparsities"], nlohmann::json({0.5, 0.2, 0.1, 0.05}));
    for (const auto& g : groups) {
        const std::string stem = g["mask"].get<std::string>();
        EXPECT_TRUE(fs::exists(out + "/" + stem)) << stem;
        EXPECT_TRUE(fs::exists(out + "/" + g["patches"].get<std::string>()));
        // The mask's level: the last before the own curve reaches the threshold.
        const auto own = g["dfnorm"][g["name"].get<std::string>()].get<std::vector<double>>();
        size_t chosen = 0;
        while (own[0] < 0.15 && chosen + 1 < own.size() && own[chosen + 1] < 0.15) ++chosen;
        EXPECT_EQ(g["mask_sparsity"], j["sparsities"][chosen]) << g["name"];
        EXPECT_EQ(g["mask_below_threshold"], own[0] < 0.15);
    }
    for (const std::string f : {"clusters.json", "curves.csv", "curves.svg", "iou.csv", "iou.svg"})
        EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
    // The curves equal `cx sweep` scoring on one cluster's images file and evaluating on another's.
    const std::string a = groups[0]["name"], b = groups[1]["name"];
    auto sweep = cxtest::runCx("sweep " + kDemo + " --images " + groups[0]["images"].get<std::string>() + " --eval-images " +
                               groups[1]["images"].get<std::string>() + " --target features.conv4:34 --objective max "
                               "--criteria actgrad --sparsities 0.5,0.2,0.1,0.05 --out " + dir + "/cross.csv");
    ASSERT_EQ(sweep.code, 0) << sweep.err;
    const auto cross = groups[0]["dfnorm"][b].get<std::vector<double>>();
    std::ifstream csv(dir + "/cross.csv");
    std::string line;
    std::getline(csv, line);  // header: ...,dfnorm last
    for (size_t i = 0; i < cross.size(); ++i) {
        ASSERT_TRUE(std::getline(csv, line));
        EXPECT_NEAR(std::stod(line.substr(line.rfind(',') + 1)), cross[i], 1e-6 * (1 + cross[i])) << a << " on " << b << ", level " << i;
    }
    // The mask is one `cx iou` reads: the control halves against each other.
    auto iou = cxtest::runCx("iou " + out + "/mask_control_a.safetensors " + out + "/mask_control_b.safetensors");
    EXPECT_EQ(iou.code, 0) << iou.err;
}

TEST(CliPolysemantic, RefusesBadArguments) {
    const std::string dir = cxtest::cliTempDir(), images = dir + "/shapes.safetensors";
    ASSERT_EQ(cxtest::runCx("demo images --count 12 --out " + images).code, 0);
    for (const auto& [args, reason] : std::vector<std::pair<std::string, std::string>>{
             {" --target features.conv4", "LAYER:UNIT"},
             {" --target features.conv4:27 --min-cluster-size 1", "at least 2"},
             {" --target features.conv4:27 --criterion force", "not pruned with FORCE"},
             {" --target features.conv4:27 --sparsities 0.5,x", "--sparsities expects numbers"},
             {" --target features.conv4:27 --no-prune --control", "--no-prune only clusters"},
             {" --target features.conv4:999", "outside"},
             {" --target nolayer:1", "no layer 'nolayer'"}}) {
        auto bad = cxtest::runCx("polysemantic " + kDemo + " --images " + images + args + " --out " + dir + "/bad");
        EXPECT_EQ(bad.code, 2) << args;
        EXPECT_NE(bad.err.find(reason), std::string::npos) << args << ": " << bad.err;
    }
    auto missing = cxtest::runCx("polysemantic " + kDemo + " --target features.conv4:27 --out " + dir + "/bad");
    EXPECT_EQ(missing.code, 2);
    EXPECT_NE(missing.err.find("needs --images"), std::string::npos);
}
