// End-to-end tests through the real `cx` binary: output, exit codes and error lines.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_run.h"

namespace {

using cxtest::Run;

std::string tempDir() { return cxtest::cliTempDir(); }

Run cx(const std::string& args) { return cxtest::runCx(args); }

std::string model(const std::string& name) { return std::string(CX_TEST_DATA) + "/models/" + name + ".pt"; }

}  // namespace

TEST(Cli, HelpEverywhere) {
    auto top = cx("--help");
    EXPECT_EQ(top.code, 0);
    EXPECT_NE(top.out.find("usage: cx <command>"), std::string::npos);
    for (const std::string cmd : {"inspect", "demo", "score", "prune", "sweep", "iou", "train-mask", "magnitude", "evaluate", "overlap", "visualize",
                                  "mae", "local-search", "neuron-circuit", "equivalence"}) {
        auto r = cx(cmd + " --help");
        EXPECT_EQ(r.code, 0) << cmd;
        EXPECT_NE(r.out.find("usage: cx " + cmd), std::string::npos) << cmd;
    }
}

TEST(Cli, InspectJson) {
    auto r = cx("inspect " + model("concat") + " --json");
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["model"], model("concat"));
    std::map<std::string, nlohmann::json> byName;
    for (const auto& l : j["layers"]) byName[l["name"]] = l;
    ASSERT_EQ(byName.size(), 4u);
    EXPECT_EQ(byName["dead"]["reachable"], false);
    EXPECT_EQ(byName["merge"]["weight_shape"], nlohmann::json({3, 7, 3, 3}));
    EXPECT_EQ(byName["merge"]["kind"], "conv2d");
    EXPECT_EQ(byName["merge"]["bias"], true);
    const auto& inputs = byName["merge"]["inputs"];
    ASSERT_EQ(inputs.size(), 2u);
    EXPECT_EQ(inputs[1]["layer"], "b");
    EXPECT_EQ(inputs[1]["channel_offset"], 2);
    EXPECT_EQ(inputs[1]["channels"], 5);
    EXPECT_EQ(byName["a"]["inputs"][0]["layer"], "input");
}

TEST(Cli, InspectTable) {
    auto r = cx("inspect " + model("chain"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("features.0"), std::string::npos);
    EXPECT_NE(r.out.find("classifier.1"), std::string::npos);
    EXPECT_NE(r.out.find("(flatten)"), std::string::npos);
}

TEST(Cli, BadInputExitsWithTwoAndOneErrorLine) {
    const std::string dir = tempDir();
    std::ofstream(dir + "/text.pt") << "hello";
    for (const std::string& args : std::vector<std::string>{"inspect /nonexistent.pt", "inspect " + dir + "/text.pt", "inspect",
                                   "inspect " + model("chain") + " --bogus", "frobnicate", "demo images --count x --out a"}) {
        auto r = cx(args);
        EXPECT_EQ(r.code, 2) << args;
        EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << args << ": " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
        EXPECT_TRUE(r.out.empty()) << args;
    }
}

TEST(Cli, DemoImagesWritesALoadableFile) {
    const std::string out = tempDir() + "/shapes.safetensors";
    auto r = cx("demo images --count 12 --seed 3 --out " + out);
    ASSERT_EQ(r.code, 0) << r.err;
    std::ifstream in(out, std::ios::binary);
    uint64_t n = 0;
    in.read(reinterpret_cast<char*>(&n), 8);
    std::string header(n, ' ');
    in.read(header.data(), static_cast<std::streamsize>(n));
    auto j = nlohmann::json::parse(header);
    EXPECT_EQ(j["images"]["shape"], nlohmann::json({12, 3, 64, 64}));
    EXPECT_EQ(j["images"]["dtype"], "F32");
    EXPECT_EQ(j["labels"]["dtype"], "I64");
}

TEST(Cli, HeadlessDemoRun) {
    if (!std::filesystem::exists(CX_DEMO_MODEL)) GTEST_SKIP() << "demo model not built";
    const std::string out = tempDir() + "/demo";
    auto r = cx("demo run --vis-steps 8 --out " + out);
    ASSERT_EQ(r.code, 0) << r.err;
    for (const std::string f : {"summary.txt", "unit_activations.csv", "shapes_eval.safetensors", "sample_circle.png", "curves.csv",
                                "curves.svg", "circuit_mask.safetensors", "circuit.svg", "circuit.png", "target_model.png",
                                "target_circuit.png", "index.md"})
        EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
    // The page links what was written; the diagram holds its pictures.
    std::ifstream index(out + "/index.md");
    const std::string page((std::istreambuf_iterator<char>(index)), std::istreambuf_iterator<char>());
    for (const std::string link : {"(curves.svg)", "(circuit.png)", "(target_circuit.png)", "(circuit_mask.safetensors)"})
        EXPECT_NE(page.find(link), std::string::npos) << link;
    std::ifstream svg(out + "/circuit.svg");
    const std::string drawn((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
    EXPECT_NE(drawn.find("data:image/png;base64,"), std::string::npos);
    // The shipped model classifies held-out shapes well.
    const auto pos = r.out.find("held-out shapes: ");
    ASSERT_NE(pos, std::string::npos);
    EXPECT_GT(std::stod(r.out.substr(pos + 17)), 0.9);
}

namespace {

nlohmann::json header(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    uint64_t n = 0;
    in.read(reinterpret_cast<char*>(&n), 8);
    std::string text(n, ' ');
    in.read(text.data(), static_cast<std::streamsize>(n));
    return nlohmann::json::parse(text);
}

}  // namespace

TEST(Cli, ScoreThenPrune) {
    const std::string dir = tempDir();
    ASSERT_EQ(cx("demo images --count 10 --seed 2 --out " + dir + "/img.safetensors").code, 0);
    auto score = cx("score " + model("chain") + " --images " + dir + "/img.safetensors --target features.5:1 --batch-size 4 --json --out " +
                    dir + "/s.safetensors");
    ASSERT_EQ(score.code, 0) << score.err;
    auto sj = nlohmann::json::parse(score.out);
    EXPECT_EQ(sj["relevant"], 6 + 24 + 12);  // hand count: its row, all of features.3, all of features.0
    EXPECT_EQ(sj["images"], 10);
    auto prune = cx("prune " + model("chain") + " --scores " + dir + "/s.safetensors --sparsity 0.5 --json --out " + dir + "/m.safetensors");
    ASSERT_EQ(prune.code, 0) << prune.err;
    auto pj = nlohmann::json::parse(prune.out);
    EXPECT_EQ(pj["kept"], 21);
    EXPECT_LE(pj["effective_kept"].get<int>(), 21);
    auto h = header(dir + "/m.safetensors");
    EXPECT_EQ(h["__metadata__"]["format"], "cx-mask/1");
    EXPECT_EQ(h["__metadata__"]["target"], "features.5:1");
    EXPECT_EQ(h["__metadata__"]["method"], "actgrad");
    EXPECT_EQ(h["__metadata__"]["kept"], "21");
    EXPECT_EQ(h["mask/features.0.weight"]["dtype"], "U8");
    EXPECT_EQ(h["mask/features.0.weight"]["shape"], nlohmann::json({4, 3}));
    EXPECT_EQ(h["score/features.3.weight"]["shape"], nlohmann::json({6, 4}));
    // The circuit's diagram: the live edges are the effective kernels, and every format is written.
    auto diagram = cx("diagram " + model("chain") + " --mask " + dir + "/m.safetensors --json --out " + dir + "/c.svg");
    ASSERT_EQ(diagram.code, 0) << diagram.err;
    auto dj = nlohmann::json::parse(diagram.out);
    EXPECT_EQ(dj["edges"], pj["effective_kept"]);
    EXPECT_EQ(dj["dead_edges"], 0);
    for (const std::string ext : {"png", "pdf", "dot"})
        EXPECT_EQ(cx("diagram " + model("chain") + " --mask " + dir + "/m.safetensors --out " + dir + "/c." + ext).code, 0) << ext;
    auto all = nlohmann::json::parse(cx("diagram " + model("chain") + " --mask " + dir + "/m.safetensors --show-dead --json --out " + dir + "/d.dot").out);
    EXPECT_EQ(all["edges"], pj["kept"]);
    auto format = cx("diagram " + model("chain") + " --mask " + dir + "/m.safetensors --out " + dir + "/c.bmp");
    EXPECT_EQ(format.code, 2);
    EXPECT_NE(format.err.find("unknown diagram format"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(dir + "/c.bmp"));
}

TEST(Cli, DiagramLevelsOfDetail) {
    const std::string dir = tempDir();
    const std::string demo = CX_DEMO_MODEL;
    ASSERT_EQ(cx("demo images --count 8 --out " + dir + "/img.safetensors").code, 0);
    ASSERT_EQ(cx("score " + demo + " --images " + dir + "/img.safetensors --target classifier.fc2:2 --out " + dir + "/s.safetensors").code, 0);
    ASSERT_EQ(cx("prune " + demo + " --scores " + dir + "/s.safetensors --sparsity 0.2 --out " + dir + "/m.safetensors").code, 0);
    const std::string base = "diagram " + demo + " --mask " + dir + "/m.safetensors --json ";
    auto kernels = cx(base + "--out " + dir + "/k.dot");
    ASSERT_EQ(kernels.code, 0) << kernels.err;
    auto kj = nlohmann::json::parse(kernels.out);
    EXPECT_EQ(kj["level"], "kernel");
    EXPECT_EQ(kj["group_nodes"], 0);
    // One vertex per layer (and the input), edges between consecutive layers.
    auto layers = nlohmann::json::parse(cx(base + "--level layer --out " + dir + "/l.svg").out);
    EXPECT_EQ(layers["nodes"], 8);
    EXPECT_EQ(layers["group_nodes"], 8);
    EXPECT_EQ(layers["edges"], 7);
    // One layer expanded: its units plus the other seven vertices.
    auto expanded = nlohmann::json::parse(cx(base + "--level layer --expand features.conv3 --top-edges 0 --out " + dir + "/e.svg").out);
    EXPECT_EQ(expanded["group_nodes"], 7);
    EXPECT_EQ(expanded["layers"], nlohmann::json({"features.conv3"}));
    // A focus view: the unit and its neighbours, the rest of its cone counted.
    auto focus = nlohmann::json::parse(cx(base + "--focus features.conv3:5 --depth 1 --top-edges 2 --out " + dir + "/f.png").out);
    EXPECT_LE(focus["edges"].get<int>(), 4);
    EXPECT_GT(focus["hidden_edges"].get<int>(), 0);
    // Too large for one view: the block overview, with a note; asked for explicitly: refused.
    auto overview = nlohmann::json::parse(cx(base + "--max-edges 100 --out " + dir + "/o.svg").out);
    EXPECT_EQ(overview["level"], "block");
    EXPECT_EQ(overview["group_nodes"], overview["nodes"]);
    ASSERT_EQ(overview["notes"].size(), 1u);
    EXPECT_NE(overview["notes"][0].get<std::string>().find("block overview"), std::string::npos);
    auto refused = cx(base + "--level kernel --max-edges 100 --out " + dir + "/r.svg");
    EXPECT_EQ(refused.code, 2);
    EXPECT_NE(refused.err.find("more than the 100"), std::string::npos) << refused.err;
    EXPECT_FALSE(std::filesystem::exists(dir + "/r.svg"));
    auto unknown = cx(base + "--focus features.conv3:99 --out " + dir + "/u.svg");
    EXPECT_EQ(unknown.code, 2);
    EXPECT_NE(unknown.err.find("no unit features.conv3:99"), std::string::npos);
    EXPECT_EQ(cx(base + "--level units --out " + dir + "/u.svg").code, 2);
    EXPECT_EQ(cx(base + "--depth 2 --out " + dir + "/u.svg").code, 2);  // --depth without --focus
}

namespace {

// The bytes of one tensor of a safetensors file (after the 8-byte length and the header).
std::string tensorBytes(const std::string& path, const std::string& name) {
    const auto h = header(path);
    std::ifstream in(path, std::ios::binary);
    uint64_t n = 0;
    in.read(reinterpret_cast<char*>(&n), 8);
    const auto offsets = h.at(name).at("data_offsets");
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    std::string bytes(end - begin, '\0');
    in.seekg(std::streamoff(8 + n + begin));
    in.read(bytes.data(), std::streamsize(bytes.size()));
    return bytes;
}

}  // namespace

TEST(Cli, ScoreAPopulationOfUnitsInOneFile) {
    const std::string dir = tempDir();
    ASSERT_EQ(cx("demo images --count 6 --out " + dir + "/img.safetensors").code, 0);
    const std::string base = "score " + model("chain") + " --images " + dir + "/img.safetensors --batch-size 4 ";
    auto population = cx(base + "--target features.3 --units 0-2,5 --json --out " + dir + "/pop.safetensors");
    ASSERT_EQ(population.code, 0) << population.err;
    auto pj = nlohmann::json::parse(population.out);
    EXPECT_EQ(pj["units"], nlohmann::json({0, 1, 2, 5}));
    EXPECT_EQ(pj["images"], 6);
    auto h = header(dir + "/pop.safetensors");
    EXPECT_EQ(h["__metadata__"]["format"], "cx-population/1");
    EXPECT_EQ(h["__metadata__"]["units"], "0,1,2,5");
    EXPECT_EQ(h["score/features.3.weight"]["shape"], nlohmann::json({4, 6, 4}));  // units x the single file's 6 x 4
    EXPECT_EQ(h["score/features.0.weight"]["shape"], nlohmann::json({4, 4, 3}));
    // Row k holds exactly what a run for that unit alone writes.
    ASSERT_EQ(cx(base + "--target features.3:2 --out " + dir + "/one.safetensors").code, 0);
    for (const std::string param : {"score/features.3.weight", "score/features.0.weight"}) {
        const std::string rows = tensorBytes(dir + "/pop.safetensors", param), single = tensorBytes(dir + "/one.safetensors", param);
        ASSERT_EQ(rows.size(), 4 * single.size());
        EXPECT_EQ(rows.substr(2 * single.size(), single.size()), single) << param;
    }
    // Bad populations: a unit with --units, units outside the layer, twice, or backwards.
    auto unit = cx(base + "--target features.3:1 --units 0-2 --out " + dir + "/bad.safetensors");
    EXPECT_EQ(unit.code, 2);
    EXPECT_NE(unit.err.find("the target is a layer"), std::string::npos) << unit.err;
    auto outside = cx(base + "--target features.3 --units 4-6 --out " + dir + "/bad.safetensors");
    EXPECT_EQ(outside.code, 2);
    EXPECT_NE(outside.err.find("unit 6 is outside the layer's units 0..5"), std::string::npos) << outside.err;
    EXPECT_NE(cx(base + "--target features.3 --units 1,1 --out " + dir + "/bad.safetensors").err.find("given twice"), std::string::npos);
    EXPECT_NE(cx(base + "--target features.3 --units 3-1 --out " + dir + "/bad.safetensors").err.find("backwards"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(dir + "/bad.safetensors"));
    auto all = nlohmann::json::parse(cx(base + "--target features.3 --units all --json --out " + dir + "/all.safetensors").out);
    EXPECT_EQ(all["units"].size(), 6u);
}

TEST(Cli, SweepAPopulationIntoOneCsv) {
    const std::string dir = tempDir();
    ASSERT_EQ(cx("demo images --count 6 --out " + dir + "/img.safetensors").code, 0);
    const std::string base = "sweep " + model("chain") + " --images " + dir + "/img.safetensors --criteria actgrad,magnitude --sparsities 0.5,0.1 ";
    auto population = cx(base + "--target features.3 --units 1,3 --out " + dir + "/pop.csv");
    ASSERT_EQ(population.code, 0) << population.err;
    ASSERT_EQ(cx(base + "--target features.3:3 --out " + dir + "/one.csv").code, 0);
    const auto lines = [](const std::string& path) {
        std::ifstream in(path);
        std::vector<std::string> out;
        for (std::string line; std::getline(in, line);) out.push_back(line);
        return out;
    };
    const auto rows = lines(dir + "/pop.csv"), single = lines(dir + "/one.csv");
    ASSERT_EQ(rows.size(), 1 + 2 * 4u);  // a header, then 2 units x 2 criteria x 2 sparsities
    EXPECT_EQ(rows[0], "unit," + single[0]);
    for (size_t k = 1; k <= 4; ++k) {
        EXPECT_EQ(rows[k].substr(0, 2), "1,");
        EXPECT_EQ(rows[4 + k], "3," + single[k]);  // unit 3's rows are its own sweep's, byte for byte
    }
    auto unit = cx(base + "--target features.3:1 --units 0-2 --out " + dir + "/bad.csv");
    EXPECT_EQ(unit.code, 2);
    EXPECT_NE(unit.err.find("the target is a layer"), std::string::npos) << unit.err;
    EXPECT_FALSE(std::filesystem::exists(dir + "/bad.csv"));
}

TEST(Cli, DemoPopulationWritesFigureTwoAndThree) {
    const std::string dir = tempDir() + "/population";
    auto r = cx("demo population --out " + dir + " --count 8 --units 0-3 --criteria actgrad,magnitude --at 0.1");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto lines = [&](const std::string& name) {
        std::ifstream in(dir + "/" + name);
        std::vector<std::string> out;
        for (std::string line; std::getline(in, line);) out.push_back(line);
        return out;
    };
    const auto quartiles = lines("quartiles.csv");
    ASSERT_EQ(quartiles.size(), 1 + 2 * 13u);  // 2 criteria x 13 levels
    EXPECT_EQ(quartiles[0], "criterion,sparsity,units,q1,median,q3");
    for (size_t k = 1; k < quartiles.size(); ++k) {
        std::stringstream row(quartiles[k]);
        std::vector<std::string> cells;
        for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
        ASSERT_EQ(cells.size(), 6u);
        EXPECT_EQ(cells[2], "4");
        const double q1 = std::stod(cells[3]), median = std::stod(cells[4]), q3 = std::stod(cells[5]);
        EXPECT_LE(q1, median);
        EXPECT_LE(median, q3);
        EXPECT_GE(q1, 0.0);
        EXPECT_LE(q3, 1.0);
    }
    EXPECT_EQ(lines("distribution.csv").size(), 1 + 2 * 4u);  // every unit, per criterion, at 10%
    EXPECT_EQ(lines("curves.csv").size(), 1 + 4 * 2 * 13u);
    for (const std::string svg : {"fig2_median_curves.svg", "fig3_distribution.svg"}) {
        const auto text = lines(svg);
        ASSERT_FALSE(text.empty()) << svg;
        EXPECT_EQ(text[0].rfind("<svg", 0), 0u) << svg;
        EXPECT_EQ(text.back(), "</svg>");
    }
    EXPECT_EQ(cx("demo population --out " + dir + " --at 0.123").code, 2);
}

TEST(Cli, ShardsMergeIntoExactlyTheUnshardedFiles) {
    const std::string dir = tempDir();
    ASSERT_EQ(cx("demo images --count 6 --out " + dir + "/img.safetensors").code, 0);
    const auto bytes = [](const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    const std::string sweep = "sweep " + model("chain") + " --images " + dir + "/img.safetensors --criteria actgrad,random "
                              "--sparsities 0.5,0.1 --target features.3 --units all ";
    const std::string score = "score " + model("chain") + " --images " + dir + "/img.safetensors --target features.3 --units all ";
    ASSERT_EQ(cx(sweep + "--out " + dir + "/whole.csv").code, 0);
    ASSERT_EQ(cx(score + "--out " + dir + "/whole.safetensors").code, 0);
    std::string csvShards, scoreShards;
    for (int i = 0; i < 4; ++i) {  // 6 units over 4 shards: 2, 2, 1, 1
        const std::string shard = "--shard " + std::to_string(i) + "/4 ";
        ASSERT_EQ(cx(sweep + shard + "--out " + dir + "/s" + std::to_string(i) + ".csv").code, 0);
        ASSERT_EQ(cx(score + shard + "--out " + dir + "/s" + std::to_string(i) + ".safetensors").code, 0);
        csvShards += " " + dir + "/s" + std::to_string(i) + ".csv";
        scoreShards += " " + dir + "/s" + std::to_string(i) + ".safetensors";
    }
    EXPECT_EQ(header(dir + "/s2.safetensors")["__metadata__"]["units"], "4");
    ASSERT_EQ(cx("merge" + csvShards + " --out " + dir + "/merged.csv").code, 0);
    ASSERT_EQ(cx("merge" + scoreShards + " --out " + dir + "/merged.safetensors").code, 0);
    EXPECT_EQ(bytes(dir + "/merged.csv"), bytes(dir + "/whole.csv"));
    EXPECT_EQ(bytes(dir + "/merged.safetensors"), bytes(dir + "/whole.safetensors"));
    // Refused: a shard twice, kinds mixed, a shard index out of range.
    auto twice = cx("merge " + dir + "/s0.csv " + dir + "/s0.csv --out " + dir + "/bad.csv");
    EXPECT_EQ(twice.code, 2);
    EXPECT_NE(twice.err.find("in an earlier shard too"), std::string::npos) << twice.err;
    EXPECT_EQ(cx("merge " + dir + "/s0.csv " + dir + "/s1.safetensors --out " + dir + "/bad.csv").code, 2);
    auto range = cx(score + "--shard 4/4 --out " + dir + "/bad.safetensors");
    EXPECT_EQ(range.code, 2);
    EXPECT_NE(range.err.find("0 <= I < N"), std::string::npos) << range.err;
    EXPECT_FALSE(std::filesystem::exists(dir + "/bad.csv"));
}

TEST(Cli, PruneRefusesScoresOfAnotherModelAndBadSparsity) {
    const std::string dir = tempDir();
    ASSERT_EQ(cx("demo images --count 4 --out " + dir + "/img.safetensors").code, 0);
    ASSERT_EQ(cx("score " + model("chain") + " --images " + dir + "/img.safetensors --target features.3:0 --out " + dir + "/s.safetensors").code, 0);
    auto other = cx("prune " + model("concat") + " --scores " + dir + "/s.safetensors --sparsity 0.5 --out " + dir + "/m.safetensors");
    EXPECT_EQ(other.code, 2);
    EXPECT_NE(other.err.find("made for another model"), std::string::npos) << other.err;
    auto bad = cx("prune " + model("chain") + " --scores " + dir + "/s.safetensors --sparsity 0 --out " + dir + "/m.safetensors");
    EXPECT_EQ(bad.code, 2);
    EXPECT_NE(bad.err.find("sparsity must be in (0, 1]"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(dir + "/m.safetensors"));  // nothing written on error
    auto unit = cx("score " + model("chain") + " --images " + dir + "/img.safetensors --target features.3:6 --out " + dir + "/t.safetensors");
    EXPECT_EQ(unit.code, 2);
    EXPECT_NE(unit.err.find("units 0..5"), std::string::npos);
    auto layer = cx("score " + model("chain") + " --images " + dir + "/img.safetensors --target conv9:0 --out " + dir + "/t.safetensors");
    EXPECT_EQ(layer.code, 2);
    EXPECT_NE(layer.err.find("layers: features.0, features.3"), std::string::npos);
}

TEST(Cli, ForceScoresPruneAtTheSizeTheyWereMadeFor) {
    const std::string dir = tempDir();
    ASSERT_EQ(cx("demo images --count 6 --seed 3 --out " + dir + "/img.safetensors").code, 0);
    const std::string base = "score " + model("chain") + " --images " + dir + "/img.safetensors --target features.5:1 --batch-size 3 ";
    auto missing = cx(base + "--criterion force --out " + dir + "/f.safetensors");
    EXPECT_EQ(missing.code, 2);
    EXPECT_NE(missing.err.find("--sparsity"), std::string::npos) << missing.err;
    EXPECT_EQ(cx(base + "--sparsity 0.2 --out " + dir + "/a.safetensors").code, 2);  // only FORCE takes a size
    auto score = cx(base + "--criterion force --sparsity 0.2 --out " + dir + "/f.safetensors");
    ASSERT_EQ(score.code, 0) << score.err;
    EXPECT_EQ(header(dir + "/f.safetensors")["__metadata__"]["force_sparsity"], "0.2");
    // No --sparsity: the recorded one. 42 relevant kernels -> round(0.2 x 42) = 8 kept.
    auto prune = cx("prune " + model("chain") + " --scores " + dir + "/f.safetensors --json --out " + dir + "/m.safetensors");
    ASSERT_EQ(prune.code, 0) << prune.err;
    EXPECT_EQ(nlohmann::json::parse(prune.out)["kept"], 8);
    EXPECT_EQ(cx("prune " + model("chain") + " --scores " + dir + "/f.safetensors --sparsity 0.2 --out " + dir + "/m2.safetensors").code, 0);
    auto other = cx("prune " + model("chain") + " --scores " + dir + "/f.safetensors --sparsity 0.5 --out " + dir + "/m3.safetensors");
    EXPECT_EQ(other.code, 2);
    EXPECT_NE(other.err.find("FORCE scores for sparsity 0.2, not 0.5"), std::string::npos) << other.err;
    EXPECT_FALSE(std::filesystem::exists(dir + "/m3.safetensors"));
    auto minmax = cx("prune " + model("chain") + " --scores " + dir + "/f.safetensors --minmax --out " + dir + "/m3.safetensors");
    EXPECT_EQ(minmax.code, 2);
    // Other scores still need a sparsity.
    ASSERT_EQ(cx(base + "--out " + dir + "/a.safetensors").code, 0);
    auto none = cx("prune " + model("chain") + " --scores " + dir + "/a.safetensors --out " + dir + "/m4.safetensors");
    EXPECT_EQ(none.code, 2);
    EXPECT_NE(none.err.find("--sparsity"), std::string::npos) << none.err;
}

// Token models prune like image models: the demo transformer's held-out prompts, or a
// safetensors file of int64 token ids ('inputs', N x T).
TEST(Cli, TokenModelsScoreAndSweep) {
    const std::string dir = tempDir();
    const std::string gpt = std::string(CX_TEST_DATA) + "/../../resources/demo/arithmetic_gpt.pt";
    auto builtIn = cx("score " + gpt + " --images addition --limit 16 --target block1.mlp.fc:3 --json --out " + dir + "/a.safetensors");
    ASSERT_EQ(builtIn.code, 0) << builtIn.err;
    EXPECT_EQ(nlohmann::json::parse(builtIn.out)["images"], 16);
    // 4 prompts of 5 tokens, written by hand as safetensors.
    const std::string header = R"({"inputs":{"dtype":"I64","shape":[4,5],"data_offsets":[0,160]}})";
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[size_t(i)] = char((header.size() >> (8 * i)) & 0xff);
    bytes += header;
    for (int64_t k = 0; k < 20; ++k) {  // ids within the demo's 13-token vocabulary
        const int64_t id = (k * 7) % 13;
        bytes.append(reinterpret_cast<const char*>(&id), 8);
    }
    {
        std::ofstream out(dir + "/tokens.safetensors", std::ios::binary);
        out << bytes;
    }
    auto file = cx("sweep " + gpt + " --images " + dir + "/tokens.safetensors --target block1.mlp.fc:3 --criteria actgrad,force "
                   "--sparsities 1,0.2 --json --out " + dir + "/c.csv");
    ASSERT_EQ(file.code, 0) << file.err;
    auto points = nlohmann::json::parse(file.out)["points"];
    ASSERT_EQ(points.size(), 4u);
    EXPECT_NEAR(points[0]["pearson"].get<double>(), 1.0, 1e-9);
}

TEST(Cli, SweepWritesACurveAndIouComparesCircuits) {
    const std::string dir = tempDir();
    ASSERT_EQ(cx("demo images --count 8 --seed 4 --out " + dir + "/a.safetensors").code, 0);
    ASSERT_EQ(cx("demo images --count 8 --seed 5 --out " + dir + "/b.safetensors").code, 0);
    auto sweep = cx("sweep " + model("chain") + " --images " + dir + "/a.safetensors --eval-images " + dir +
                    "/b.safetensors --target features.5:1 --criteria actgrad,force --sparsities 1,0.5,0.1 --json --out " +
                    dir + "/curve.csv");
    ASSERT_EQ(sweep.code, 0) << sweep.err;
    auto j = nlohmann::json::parse(sweep.out);
    ASSERT_EQ(j["points"].size(), 6u);
    EXPECT_EQ(j["points"][0]["criterion"], "actgrad");
    EXPECT_NEAR(j["points"][0]["pearson"].get<double>(), 1.0, 1e-9);
    EXPECT_EQ(j["points"][5]["criterion"], "force");
    EXPECT_EQ(j["points"][5]["kept"], 4);  // round(0.1 x 42)
    std::ifstream csv(dir + "/curve.csv");
    std::string line;
    std::getline(csv, line);
    EXPECT_EQ(line, "criterion,sparsity,relevant,kept,effective_kept,effective_sparsity,disconnected,pearson,dfnorm");
    int rows = 0;
    while (std::getline(csv, line)) ++rows;
    EXPECT_EQ(rows, 6);

    ASSERT_EQ(cx("score " + model("chain") + " --images " + dir + "/a.safetensors --target features.5:1 --out " + dir + "/s.safetensors").code, 0);
    for (const std::string level : {"0.5", "0.2"})
        ASSERT_EQ(cx("prune " + model("chain") + " --scores " + dir + "/s.safetensors --sparsity " + level + " --out " + dir + "/m" + level + ".safetensors").code, 0);
    auto self = nlohmann::json::parse(cx("iou " + dir + "/m0.5.safetensors " + dir + "/m0.5.safetensors --json").out);
    for (const auto& l : self["layers"]) EXPECT_EQ(l["iou"], 1.0);
    auto iou = cx("iou " + dir + "/m0.5.safetensors " + dir + "/m0.2.safetensors --json");
    ASSERT_EQ(iou.code, 0) << iou.err;
    int both = 0, onlyA = 0, onlyB = 0;
    const auto parsed = nlohmann::json::parse(iou.out);
    for (const auto& l : parsed["layers"]) {
        both += l["both"].get<int>();
        onlyA += l["only_a"].get<int>();
        onlyB += l["only_b"].get<int>();
    }
    EXPECT_EQ(both, 8);    // the 0.2 circuit (8 kernels) is inside the 0.5 one (21)
    EXPECT_EQ(onlyA, 13);
    EXPECT_EQ(onlyB, 0);
}

namespace {

// A task file written by hand in the safetensors format: inputs (F32, N x D), targets (I64, N).
void writeTask(const std::string& path, int64_t n, int64_t d) {
    std::vector<float> inputs(static_cast<size_t>(n * d));
    std::vector<int64_t> targets(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < d; ++j) inputs[size_t(i * d + j)] = float(((i * 7 + j * 3) % 11) - 5) / 5.0f;
        targets[size_t(i)] = (i * 5) % 4;
    }
    const uint64_t inBytes = inputs.size() * 4, tBytes = targets.size() * 8;
    nlohmann::json h = {{"inputs", {{"dtype", "F32"}, {"shape", {n, d}}, {"data_offsets", {0, inBytes}}}},
                        {"targets", {{"dtype", "I64"}, {"shape", {n}}, {"data_offsets", {inBytes, inBytes + tBytes}}}}};
    const std::string text = h.dump();
    const uint64_t len = text.size();
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(&len), 8);
    out << text;
    out.write(reinterpret_cast<const char*>(inputs.data()), std::streamsize(inBytes));
    out.write(reinterpret_cast<const char*>(targets.data()), std::streamsize(tBytes));
}

}  // namespace

TEST(Cli, TrainMaskEvaluateOverlap) {
    const std::string dir = tempDir();
    writeTask(dir + "/task.safetensors", 64, 6);
    auto train = cx("train-mask " + model("tiny_mlp") + " --task " + dir + "/task.safetensors --epochs 2 --batch-size 16 --json --out " +
                    dir + "/m.safetensors");
    ASSERT_EQ(train.code, 0) << train.err;
    auto tj = nlohmann::json::parse(train.out);
    EXPECT_EQ(tj["total"], 6 * 8 + 8 * 4);  // weight granularity over both layers
    // The figures come from a seeded fifth of the file that training never saw: round(0.2 x 64).
    EXPECT_NE(tj["measured_on"].get<std::string>().find("13 held-out examples (20%, seed 0)"), std::string::npos) << tj.dump();
    auto tooSmall = cx("train-mask " + model("tiny_mlp") + " --task " + dir + "/task.safetensors --holdout 1 --out " + dir + "/x.safetensors");
    EXPECT_EQ(tooSmall.code, 2);
    auto h = header(dir + "/m.safetensors");
    EXPECT_EQ(h["__metadata__"]["format"], "cx-mask/1");
    EXPECT_EQ(h["__metadata__"]["method"], "cs");
    EXPECT_EQ(h["mask/c_fc_weight"]["shape"], nlohmann::json({6, 8}));  // the GPT-2 style weight's own layout
    EXPECT_EQ(h["logit/proj.weight"]["dtype"], "F32");
    auto resumed = cx("train-mask " + model("tiny_mlp") + " --task " + dir + "/task.safetensors --epochs 1 --resume " + dir +
                      "/m.safetensors --out " + dir + "/m2.safetensors");
    EXPECT_EQ(resumed.code, 0) << resumed.err;
    auto wrongGranularity = cx("train-mask " + model("tiny_mlp") + " --task " + dir + "/task.safetensors --granularity filter --resume " +
                               dir + "/m.safetensors --out " + dir + "/m3.safetensors");
    EXPECT_EQ(wrongGranularity.code, 2);
    EXPECT_NE(wrongGranularity.err.find("granularity"), std::string::npos);
    auto eval = cx("evaluate " + model("tiny_mlp") + " --mask " + dir + "/m.safetensors --task " + dir +
                   "/task.safetensors --ablation randomly_sampled --repeats 3 --json");
    ASSERT_EQ(eval.code, 0) << eval.err;
    EXPECT_EQ(nlohmann::json::parse(eval.out)["repeats"], 3);
    // Evaluated on the file it was trained on: said, since that is no held-out accuracy.
    EXPECT_NE(nlohmann::json::parse(eval.out)["warning"].get<std::string>().find("trained on"), std::string::npos);
    ASSERT_EQ(cx("magnitude " + model("tiny_mlp") + " --keep 0.5 --out " + dir + "/mag.safetensors").code, 0);
    auto overlap = cx("overlap " + model("tiny_mlp") + " --mask " + dir + "/mag.safetensors --mask " + dir + "/mag.safetensors --json --out " + dir + "/o.csv");
    ASSERT_EQ(overlap.code, 0) << overlap.err;
    const auto oj = nlohmann::json::parse(overlap.out);
    ASSERT_EQ(oj["rows"].size(), 2u);
    for (const auto& l : oj["rows"]) {
        EXPECT_EQ(l["iou"], 1.0);
        EXPECT_EQ(l["only_a"], 0);
    }
    EXPECT_TRUE(std::filesystem::exists(dir + "/o.csv"));
    // Bad input: a mask for another model, a pattern matching no layer, a negative lambda.
    auto other = cx("evaluate " + model("chain") + " --mask " + dir + "/m.safetensors --task " + dir + "/task.safetensors");
    EXPECT_EQ(other.code, 2);
    EXPECT_NE(other.err.find("another model"), std::string::npos);
    auto pattern = cx("train-mask " + model("tiny_mlp") + " --task " + dir + "/task.safetensors --layers 'conv*' --out " + dir + "/x.safetensors");
    EXPECT_EQ(pattern.code, 2);
    EXPECT_NE(pattern.err.find("matches no layer"), std::string::npos);
    auto lambda = cx("train-mask " + model("tiny_mlp") + " --task " + dir + "/task.safetensors --lambda -1 --out " + dir + "/x.safetensors");
    EXPECT_EQ(lambda.code, 2);
    EXPECT_FALSE(std::filesystem::exists(dir + "/x.safetensors"));
}

TEST(Cli, TransformerHeadsAndBuiltInTasks) {
    const std::string dir = tempDir();
    // A small demo transformer through the real command (two steps, width 8).
    auto trained = cx("demo train-transformer --steps 2 --width 8 --out " + dir + "/gpt.pt");
    ASSERT_EQ(trained.code, 0) << trained.err;
    EXPECT_NE(trained.out.find("held-out exact-answer accuracy"), std::string::npos);
    const std::string gpt = dir + "/gpt.pt";
    auto info = nlohmann::json::parse(cx("inspect " + gpt + " --json").out);
    ASSERT_EQ(info["layers"].size(), 13u);
    // Head masks on the built-in addition task, then overlap per head and per MLP.
    auto head = cx("train-mask " + gpt + " --task addition --granularity head --layers 'block*.attn.*' --epochs 1 --json --out " +
                   dir + "/heads.safetensors");
    ASSERT_EQ(head.code, 0) << head.err;
    EXPECT_EQ(nlohmann::json::parse(head.out)["total"], 8);  // 2 blocks x 4 heads, each counted once
    ASSERT_EQ(cx("magnitude " + gpt + " --keep 0.5 --layers 'block*' --out " + dir + "/mag.safetensors").code, 0);
    auto blocks = cx("overlap " + gpt + " --mask " + dir + "/mag.safetensors --mask " + dir + "/mag.safetensors --by block --json");
    ASSERT_EQ(blocks.code, 0) << blocks.err;
    std::set<std::string> names;
    const auto parsedBlocks = nlohmann::json::parse(blocks.out);
    for (const auto& r : parsedBlocks["rows"]) names.insert(r["block"].get<std::string>());
    EXPECT_EQ(names, (std::set<std::string>{"block0.attn head 0", "block0.attn head 1", "block0.attn head 2", "block0.attn head 3",
                                            "block0.mlp", "block1.attn head 0", "block1.attn head 1", "block1.attn head 2",
                                            "block1.attn head 3", "block1.mlp"}));
    auto eval = cx("evaluate " + gpt + " --mask " + dir + "/mag.safetensors --task multiplication --ablation zero_ablate --json");
    ASSERT_EQ(eval.code, 0) << eval.err;
    EXPECT_LE(nlohmann::json::parse(eval.out)["accuracy"].get<double>(), 1.0);
    // Bad input: head granularity on layers that are not attention projections; an unknown level.
    auto notHeads = cx("train-mask " + gpt + " --task addition --granularity head --layers 'block0.mlp.*' --out " + dir + "/x.safetensors");
    EXPECT_EQ(notHeads.code, 2);
    EXPECT_NE(notHeads.err.find("no detected attention heads"), std::string::npos);
    auto level = cx("overlap " + gpt + " --mask " + dir + "/mag.safetensors --mask " + dir + "/mag.safetensors --by head");
    EXPECT_EQ(level.code, 2);
    EXPECT_NE(level.err.find("unknown overlap level"), std::string::npos);
    auto score = cx("score " + gpt + " --images " + dir + "/none.safetensors --target head:1 --granularity head --out " + dir + "/s.safetensors");
    EXPECT_EQ(score.code, 2);
    EXPECT_FALSE(std::filesystem::exists(dir + "/x.safetensors"));
}
