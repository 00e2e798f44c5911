// `cx visualize` end to end: the files of a folder run, one PNG, a circuit from a scores file,
// the cache, and bad arguments refused with exit code 2 and the reason.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_run.h"

namespace {

namespace fs = std::filesystem;

const std::string kDemo = std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt";
const std::string kQuick = " --size 64 --no-normalize --steps 8";

}  // namespace

TEST(CliVisualize, AFolderGetsEachUnitsPicturesAndTheOptimisedInputs) {
    const std::string dir = cxtest::cliTempDir(), out = dir + "/vis";
    auto r = cxtest::runCx("visualize " + kDemo + " --unit features.conv4:1-2 --snapshots 4 --no-cache --json --out " + out + kQuick);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["pictures"].size(), 2u);
    EXPECT_EQ(j["pictures"][0]["objective"], "features.conv4:1");
    EXPECT_EQ(j["pictures"][1]["crop"], nlohmann::json({20, 20, 47, 47}));  // the 28 x 28 field (start -12, jump 4) of position 8, 8
    EXPECT_EQ(j["circuit"], false);
    for (const std::string f : {"features_conv4_1.png", "features_conv4_1_full.png", "features_conv4_1_step4.png",
                                "features_conv4_2.png", "images.safetensors"})
        EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
    // images.safetensors: 2 x 3 x 64 x 64 float32 after the 8-byte header length and the header.
    std::ifstream in(out + "/images.safetensors", std::ios::binary);
    uint64_t header = 0;
    in.read(reinterpret_cast<char*>(&header), 8);
    std::string json(header, '\0');
    in.read(json.data(), std::streamsize(header));
    const auto meta = nlohmann::json::parse(json);
    EXPECT_EQ(meta["images"]["shape"], nlohmann::json({2, 3, 64, 64}));
    EXPECT_EQ(meta["images"]["dtype"], "F32");
}

TEST(CliVisualize, ACircuitFromScoresAndTheCache) {
    const std::string dir = cxtest::cliTempDir();
    ASSERT_EQ(cxtest::runCx("demo images --count 16 --out " + dir + "/shapes.safetensors").code, 0);
    auto score = cxtest::runCx("score " + kDemo + " --images " + dir + "/shapes.safetensors --target features.conv3:5 --out " + dir + "/s.safetensors");
    ASSERT_EQ(score.code, 0) << score.err;
    const std::string args = "visualize " + kDemo + " --unit features.conv3:5 --scores " + dir + "/s.safetensors --sparsity 0.1 --cache " +
                             dir + "/cache --json --out " + dir + "/one.png" + kQuick;
    auto first = cxtest::runCx(args);
    ASSERT_EQ(first.code, 0) << first.err;
    auto j = nlohmann::json::parse(first.out);
    EXPECT_EQ(j["circuit"], true);
    EXPECT_EQ(j["pictures"][0]["from_cache"], false);
    EXPECT_TRUE(fs::exists(dir + "/one.png"));
    auto again = cxtest::runCx(args);
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_EQ(nlohmann::json::parse(again.out)["pictures"][0]["from_cache"], true);
    EXPECT_EQ(nlohmann::json::parse(again.out)["pictures"][0]["activation"], j["pictures"][0]["activation"]);
}

TEST(CliVisualize, BadArgumentsAreRefusedWithTheReason) {
    const std::string dir = cxtest::cliTempDir();
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"--unit features.conv4 --out " + dir + "/a.png", "--unit expects LAYER:UNITS, got 'features.conv4'"},
        {"--unit features.conv4:3-1 --out " + dir + "/a.png", "--unit features.conv4:3-1: the range 3-1 runs backwards"},
        {"--unit features.conv4:47-48 --out " + dir + "/a.png", "--unit features.conv4:47-48: unit 48 is outside the layer's units 0..47"},
        {"--unit features.conv4:1,2 --out " + dir + "/a.png", "several pictures need a folder for --out"},
        {"--unit features.conv9:1 --out " + dir + "/a.png", "the model has no layer 'features.conv9'"},
        {"--unit features.conv4:1 --objective peak --out " + dir + "/a.png", "--objective must be neuron or channel"},
        {"--unit features.conv4:1 --scores x --out " + dir + "/a.png", "--scores and --sparsity go together"},
        {"--unit features.conv4:1 --snapshots 99 --out " + dir + "/a.png", "snapshot step 99 is outside 1..8"},
    };
    for (const auto& [args, message] : cases) {
        auto r = cxtest::runCx("visualize " + kDemo + " --no-cache " + args + kQuick);
        EXPECT_EQ(r.code, 2) << args << ": " << r.err;
        EXPECT_NE(r.err.find("error: " + message), std::string::npos) << args << ": " << r.err;
    }
    EXPECT_FALSE(fs::exists(dir + "/a.png"));
}

TEST(CliVisualize, DiagramExportsCarryTheVisualisations) {
    const std::string dir = cxtest::cliTempDir();
    ASSERT_EQ(cxtest::runCx("demo images --count 16 --out " + dir + "/shapes.safetensors").code, 0);
    ASSERT_EQ(cxtest::runCx("score " + kDemo + " --images " + dir + "/shapes.safetensors --target features.conv3:5 --out " + dir +
                            "/s.safetensors").code,
              0);
    ASSERT_EQ(cxtest::runCx("prune " + kDemo + " --scores " + dir + "/s.safetensors --sparsity 0.1 --out " + dir + "/m.safetensors").code, 0);
    const std::string base = "diagram " + kDemo + " --mask " + dir + "/m.safetensors --no-cache --json" + kQuick;
    auto svg = cxtest::runCx(base + " --pictures vis --out " + dir + "/d.svg");
    ASSERT_EQ(svg.code, 0) << svg.err;
    const auto nodes = nlohmann::json::parse(svg.out)["nodes"].get<size_t>();
    std::ifstream in(dir + "/d.svg");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t inline_images = 0;
    for (size_t at = text.find("data:image/png;base64,"); at != std::string::npos; at = text.find("data:image/png;base64,", at + 1))
        ++inline_images;
    EXPECT_EQ(inline_images, nodes);  // every vertex: the input channels' swatches, every unit's picture
    EXPECT_EQ(text.find("cx-diagram-"), std::string::npos);  // no reference to the temporary files
    // DOT keeps its pictures beside it and names them.
    auto dot = cxtest::runCx(base + " --pictures kernel --out " + dir + "/d.dot");
    ASSERT_EQ(dot.code, 0) << dot.err;
    std::ifstream dotIn(dir + "/d.dot");
    const std::string dotText((std::istreambuf_iterator<char>(dotIn)), std::istreambuf_iterator<char>());
    EXPECT_NE(dotText.find("<IMG SCALE=\"TRUE\" SRC=\"" + dir + "/d_pictures/node0.png\"/>"), std::string::npos);
    EXPECT_TRUE(fs::exists(dir + "/d_pictures/node0.png"));
    auto bad = cxtest::runCx(base + " --pictures photo --out " + dir + "/x.svg");
    EXPECT_EQ(bad.code, 2);
    EXPECT_NE(bad.err.find("error: --pictures must be vis, crop or kernel, got 'photo'"), std::string::npos) << bad.err;
    auto noImages = cxtest::runCx(base + " --pictures crop --out " + dir + "/x.svg");
    EXPECT_EQ(noImages.code, 2);
    EXPECT_NE(noImages.err.find("error: --pictures crop needs --images"), std::string::npos) << noImages.err;
}
