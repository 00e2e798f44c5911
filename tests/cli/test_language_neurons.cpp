// `cx top-examples --corpus`, `cx mae` and `cx local-search` end to end on the hand-built token
// model of tests/data/text (make_text_fixtures.py): neuron detect:0 fires on "dog" after "big" or
// "huge", detect:1 on "cat"; the fixed masked model proposes huge, red, cat in that order.
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_run.h"

namespace {

const std::string kDir = std::string(CX_TEST_DATA) + "/text/";
const std::string kModel = kDir + "trigger_lm.pt";
const std::string kCorpus = " --corpus " + kDir + "corpus.txt";

}  // namespace

TEST(CliLanguageNeurons, TopExamplesMaeAndLocalSearch) {
    auto top = cxtest::runCx("top-examples " + kModel + kCorpus + " --layer detect --top 2 --json");
    ASSERT_EQ(top.code, 0) << top.err;
    auto j = nlohmann::json::parse(top.out);
    ASSERT_EQ(j["units"].size(), 2u);
    EXPECT_EQ(j["units"][1]["model"][0]["anchor_token"], "cat");
    EXPECT_EQ(j["units"][1]["model"][0]["value"], 1.0);
    EXPECT_EQ(j["units"][0]["model"][0]["text"], "[BOS] a big [[dog]] barked at the red cat . [EOS]");
    EXPECT_EQ(j["tokens"], 38);

    auto mae = cxtest::runCx("mae " + kModel + kCorpus + " --neuron detect:0 --top 2 --json");
    ASSERT_EQ(mae.code, 0) << mae.err;
    auto m = nlohmann::json::parse(mae.out)["examples"];
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0]["mae"], "big [[dog]]");
    EXPECT_EQ(m[1]["mae"], "huge [[dog]]");
    EXPECT_EQ(m[0]["ratio"], 1.0);
    auto windowed = cxtest::runCx("mae " + kModel + kCorpus + " --neuron detect:0 --top 1 --window 2 --json");
    ASSERT_EQ(windowed.code, 0) << windowed.err;
    EXPECT_EQ(nlohmann::json::parse(windowed.out)["examples"][0]["mae"], "a big [[dog]] barked at");

    const std::string csv = cxtest::cliTempDir() + "/search.csv";
    auto search = cxtest::runCx("local-search " + kModel + " --mlm " + kDir + "fixed_mlm.pt --neuron detect:0 --top-n 3 --json --csv " +
                                csv + " --graph " + csv + ".dot" + kCorpus);
    ASSERT_EQ(search.code, 0) << search.err;
    auto s = nlohmann::json::parse(search.out)["searches"][0];
    EXPECT_EQ(s["mae"], "big [[dog]]");
    std::vector<std::string> positives, negatives;
    for (const auto& sub : s["substitutes"])
        (sub["kind"] == "positive" ? positives : negatives).push_back(sub["text"].get<std::string>());
    EXPECT_EQ(positives, std::vector<std::string>({"huge [[dog]]"}));
    EXPECT_EQ(negatives.size(), 5u);
    std::ifstream in(csv);
    std::string header;
    std::getline(in, header);
    EXPECT_EQ(header, "mae,position,original,substitute,text,value,drop,kind");
    int rows = 0;
    for (std::string line; std::getline(in, line);) ++rows;
    EXPECT_EQ(rows, 6);
    std::ifstream dotFile(csv + ".dot");
    const std::string dot((std::istreambuf_iterator<char>(dotFile)), std::istreambuf_iterator<char>());
    EXPECT_NE(dot.find("label=\"big | huge\\ndrop 67%\""), std::string::npos) << dot;
    EXPECT_NE(dot.find("n1 -> n0"), std::string::npos) << dot;
    auto text = cxtest::runCx("local-search " + kModel + " --mlm " + kDir + "fixed_mlm.pt --neuron detect:0 --top-n 1 --text 'the big dog'");
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_NE(text.out.find("huge [[dog]]"), std::string::npos) << text.out;
}

// The detector's circuit on its top examples: "dog" and "big" / "huge" before it are three of
// detect's 2 x 22 weights, and keep every example's value; one weight does not.
TEST(CliLanguageNeurons, NeuronCircuitOnItsTopExamples) {
    const std::string mask = cxtest::cliTempDir() + "/neuron_circuit_mask.safetensors";
    auto r = cxtest::runCx("neuron-circuit " + kModel + kCorpus + " --neuron detect:0 --top 4 --sparsity 0.07 --json --out " + mask);
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["relevant"], 44);
    EXPECT_EQ(j["kept"], 3);
    EXPECT_EQ(j["scored_windows"], 4);
    EXPECT_EQ(j["dfnorm"], 0.0);
    EXPECT_EQ(j["shared_top"], 4);
    ASSERT_EQ(j["model"].size(), 4u);
    for (const auto& e : j["model"]) EXPECT_EQ(e["model"], e["circuit"]) << e.dump();
    std::ifstream written(mask, std::ios::binary);
    EXPECT_TRUE(written.good()) << mask;
    // The mask is a circuit like any other: top-examples reads the same values in it.
    auto again = cxtest::runCx("top-examples " + kModel + kCorpus + " --layer detect --units 0 --top 4 --json --mask " + mask);
    ASSERT_EQ(again.code, 0) << again.err;
    auto k = nlohmann::json::parse(again.out);
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(k["units"][0]["circuit"][i]["window"], j["circuit"][i]["window"]);
    auto one = cxtest::runCx("neuron-circuit " + kModel + kCorpus + " --neuron detect:0 --top 4 --sparsity 0.03 --json");
    ASSERT_EQ(one.code, 0) << one.err;
    auto o = nlohmann::json::parse(one.out);
    EXPECT_EQ(o["kept"], 1);
    EXPECT_LT(o["model"][0]["circuit"].get<double>(), o["model"][0]["model"].get<double>());
    EXPECT_GT(o["dfnorm"].get<double>(), 0.0);
    auto text = cxtest::runCx("neuron-circuit " + kModel + kCorpus + " --neuron detect:0 --top 2 --sparsity 0.07");
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_NE(text.out.find("kept 3 of 44 weights"), std::string::npos) << text.out;
}

TEST(CliLanguageNeurons, Refusals) {
    const std::string mlm = " --mlm " + kDir + "fixed_mlm.pt";
    for (const auto& [args, reason] : std::vector<std::pair<std::string, std::string>>{
             {"mae " + kModel + kCorpus + " --neuron detect", "--neuron needs LAYER:UNIT"},
             {"mae " + kModel + kCorpus + " --neuron detect:5", "unit 5 is outside detect's 0..1"},
             {"mae " + kModel + kCorpus + " --neuron detect:0 --keep 2", "--keep must lie in 0..1"},
             {"mae " + kModel + " --neuron detect:0 --corpus /nonexistent", "no such corpus file or folder"},
             {"mae " + kModel + kCorpus + " --neuron detect:0 --tokenizer " + kDir + "corpus.txt", "corpus.txt"},
             {"local-search " + kModel + mlm + " --neuron detect:0" + kCorpus + " --text x", "one of --corpus PATH and --text TEXT"},
             {"local-search " + kModel + " --mlm " + kModel + " --neuron detect:0 --text 'big dog'", "not a masked language model"},
             {"local-search " + kModel + mlm + " --neuron detect:0 --text 'big dog' --positive 0.8", "positive <= negative"},
             {"local-search " + kModel + mlm + " --neuron detect:0 --text 'big dog' --graph g.txt", "--graph writes .svg"},
             {"top-examples " + kModel + kCorpus + " --images " + kDir + " --layer detect", "do not go together"},
             {"top-examples " + kModel + " --images " + kDir + " --layer detect --context 5", "go with --corpus"},
             {"neuron-circuit " + kModel + kCorpus + " --neuron detect:0 --criterion force", "several lengths"},
             {"neuron-circuit " + kModel + kCorpus + " --neuron detect:0 --sparsity 0", "--sparsity must be in (0, 1]"},
             {"neuron-circuit " + kModel + kCorpus, "needs --corpus and --neuron"},
             {"neuron-circuit " + kModel + kCorpus + " --neuron detect:2", "outside detect's 0..1"}}) {
        auto r = cxtest::runCx(args);
        EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
        EXPECT_NE(r.err.find(reason), std::string::npos) << args << ": " << r.err;
    }
}

// GPT-2's Conv1D layers (addmm on the flattened positions, weight stored in x out), scripted and
// traced: their units at every position are neurons like a linear layer's.
TEST(CliLanguageNeurons, Gpt2Conv1DLayersScriptedAndTraced) {
    for (const std::string variant : {"script", "trace"}) {
        auto r = cxtest::runCx("top-examples " + kDir + "conv1d_lm_" + variant + ".pt" + kCorpus + " --layer c_fc --units 0,1 --top 3 --json");
        ASSERT_EQ(r.code, 0) << variant << ": " << r.err;
        auto units = nlohmann::json::parse(r.out)["units"];
        ASSERT_EQ(units.size(), 2u);
        for (const auto& e : units[0]["model"]) {
            EXPECT_EQ(e["anchor_token"], "cat") << variant;
            EXPECT_EQ(e["value"], 2.0) << variant;
        }
        EXPECT_EQ(units[1]["model"][0]["anchor_token"], "dog") << variant;
        EXPECT_EQ(units[1]["model"][0]["value"], 1.0) << variant;
    }
}
