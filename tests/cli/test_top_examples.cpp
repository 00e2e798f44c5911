// `cx top-examples` and `cx probe` end to end: the JSON and the files of a model and a circuit run, and bad
// arguments refused with exit code 2 and the reason.
#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_run.h"

namespace {

namespace fs = std::filesystem;

const std::string kDemo = std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt";

}  // namespace

TEST(CliTopExamples, ModelAndCircuitSideBySide) {
    const std::string dir = cxtest::cliTempDir(), images = dir + "/shapes.safetensors";
    ASSERT_EQ(cxtest::runCx("demo images --count 40 --out " + images).code, 0);
    auto score = cxtest::runCx("score " + kDemo + " --images " + images + " --target features.conv3:5 --out " + dir + "/s.safetensors");
    ASSERT_EQ(score.code, 0) << score.err;
    auto r = cxtest::runCx("top-examples " + kDemo + " --images " + images + " --layer features.conv3 --units 5,7 --top 4 --scores " +
                           dir + "/s.safetensors --sparsity 0.2 --json --out " + dir + "/ex");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["units"].size(), 2u);
    EXPECT_EQ(j["units"][0]["unit"], 5);
    ASSERT_EQ(j["units"][0]["model"].size(), 4u);
    ASSERT_EQ(j["units"][0]["circuit"].size(), 4u);
    // Best first; the circuit keeps 20% of the kernels, so its values are its own.
    for (const char* net : {"model", "circuit"})
        for (size_t i = 1; i < 4; ++i) EXPECT_GE(j["units"][0][net][i - 1]["value"], j["units"][0][net][i]["value"]) << net;
    EXPECT_NE(j["units"][0]["model"][0]["value"], j["units"][0]["circuit"][0]["value"]);
    // A conv3 position's field on the demo CNN: 20 x 20 pixels (cx inspect: 20x20/4), clipped at the border.
    const auto box = j["units"][0]["model"][0]["box"];
    const int rows = box[2].get<int>() - box[0].get<int>() + 1, cols = box[3].get<int>() - box[1].get<int>() + 1;
    EXPECT_TRUE(rows <= 20 && rows >= 10 && cols <= 20 && cols >= 10) << box;
    EXPECT_TRUE(rows == 20 || box[0] == 0 || box[2] == 63) << box;  // short only at an edge
    for (const std::string f : {"features_conv3_5.png", "features_conv3_7.png", "examples.json"})
        EXPECT_TRUE(fs::exists(dir + "/ex/" + f)) << f;
    // The model alone, as text.
    auto text = cxtest::runCx("top-examples " + kDemo + " --images " + images + " --layer classifier.fc2 --top 2");
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_NE(text.out.find("classifier.fc2:5  model:"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("patches are whole images: a linear unit sees the whole image"), std::string::npos);
}

TEST(CliTopExamples, BadArgumentsAreRefusedWithTheReason) {
    const std::string dir = cxtest::cliTempDir(), images = dir + "/shapes.safetensors";
    ASSERT_EQ(cxtest::runCx("demo images --count 8 --out " + images).code, 0);
    const std::string base = "top-examples " + kDemo + " --images " + images;
    for (const auto& [args, reason] : std::vector<std::pair<std::string, std::string>>{
             {" --layer features.conv3 --top 0", "--top must be at least 1"},
             {" --layer features.conv9", "no layer 'features.conv9'"},
             {" --layer features.conv3 --units 99", "--units"},
             {" --layer features.conv3 --scores x.safetensors", "--scores and --sparsity go together"},
             {"", "or --corpus (a token model), and --layer"}}) {
        auto r = cxtest::runCx(base + args);
        EXPECT_EQ(r.code, 2) << args;
        EXPECT_NE(r.err.find(reason), std::string::npos) << args << ": " << r.err;
    }
}

// `cx probe`: a unit's surfaces in the model and a circuit, the heat maps, and bad arguments.
TEST(CliProbe, SurfacesOfTheModelAndACircuitWithTheirHeatMaps) {
    const std::string dir = cxtest::cliTempDir(), images = dir + "/shapes.safetensors";
    ASSERT_EQ(cxtest::runCx("demo images --count 24 --out " + images).code, 0);
    ASSERT_EQ(cxtest::runCx("score " + kDemo + " --images " + images + " --target features.conv3:5 --out " + dir + "/s.safetensors").code, 0);
    auto r = cxtest::runCx("probe " + kDemo + " --unit features.conv3:5 --set corners --grid 3x6 --size 64 --no-normalize --scores " + dir +
                           "/s.safetensors --sparsity 0.2 --json --out " + dir + "/probe");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["rows"], "arm");
    EXPECT_EQ(j["columns"], "rotation");
    EXPECT_EQ(j["column_values"], nlohmann::json({0, 60, 120, 180, 240, 300}));
    ASSERT_EQ(j["model"].size(), 18u);
    ASSERT_EQ(j["circuit"].size(), 18u);
    EXPECT_NE(j["model"], j["circuit"]);
    EXPECT_EQ(j["model_best"]["value"], *std::max_element(j["model"].begin(), j["model"].end()));
    for (const std::string f : {"surface.csv", "model.png", "circuit.png", "difference.png", "probes.png"})
        EXPECT_TRUE(fs::exists(dir + "/probe/" + f)) << f;
    // The subcircuit for one probe: scored on that image alone, its mask written beside.
    auto cell = cxtest::runCx("probe " + kDemo + " --unit features.conv3:5 --set corners --grid 3x6 --size 64 --no-normalize "
                              "--prune-cell 2,1 --sparsity 0.2 --json --out " + dir + "/cell");
    ASSERT_EQ(cell.code, 0) << cell.err;
    const auto c = nlohmann::json::parse(cell.out);
    EXPECT_EQ(c["model"], j["model"]);
    ASSERT_EQ(c["circuit"].size(), 18u);
    EXPECT_NE(c["circuit"], j["circuit"]);
    for (const std::string f : {"probe.safetensors", "subcircuit.safetensors", "circuit.png"})
        EXPECT_TRUE(fs::exists(dir + "/cell/" + f)) << f;
    for (const auto& [args, reason] : std::vector<std::pair<std::string, std::string>>{
             {" --unit features.conv3:5 --prune-cell 2,1 --mask m.safetensors", "without --mask or --scores"},
             {" --unit features.conv3:5 --prune-cell 9", "--prune-cell expects ROW,COLUMN"},
             {" --unit features.conv3:5 --grid 3x6 --prune-cell 3,0", "outside the 3 x 6 grid"},
             {" --unit features.conv3:5 --set circles", "arcs, corners, lines or colours"},
             {" --unit features.conv3:5 --grid 8by8", "--grid expects ROWSxCOLUMNS"},
             {" --unit features.conv3:5,6", "one unit number"},
             {" --unit features.conv3:99", "unit 99 is outside"}}) {
        auto bad = cxtest::runCx("probe " + kDemo + args + " --size 64 --out " + dir + "/bad");
        EXPECT_EQ(bad.code, 2) << args;
        EXPECT_NE(bad.err.find(reason), std::string::npos) << args << ": " << bad.err;
    }
}
