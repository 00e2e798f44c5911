// `cx top-examples MODEL --corpus FILE`: the windows of a corpus that most activate neurons of a
// token model, each with its anchor token, in the model and (with a circuit) in the circuit; an
// HTML page colours every token of each example by the neuron's value.
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli/circuit_option.h"
#include "app/cli/commands.h"
#include "app/cli/text_inputs.h"
#include "engine/io/atomic_file.h"
#include "engine/pruning/population.h"
#include "engine/text/neuron_reader.h"
#include "engine/text/token_examples.h"
#include "engine/text/token_html.h"

namespace cx::app {
namespace {

using nlohmann::json;
constexpr auto kReplace = json::error_handler_t::replace;

json examplesJson(const engine::TokenUnitExamples& u, const engine::TokenCorpus& corpus, const engine::Tokenizer& t) {
    json list = json::array();
    for (const auto& e : u.top) {
        const auto& w = corpus.windows[size_t(e.window)];
        list.push_back({{"window", e.window}, {"document", w.document}, {"offset", w.offset}, {"anchor", e.anchor},
                        {"anchor_token", t.tokenText(w.ids[size_t(e.anchor)])}, {"value", e.value},
                        {"text", markedText(t, w.ids, 0, int64_t(w.ids.size()), e.anchor)}});
    }
    return list;
}

const char* kHelp = R"(usage: cx top-examples MODEL --corpus PATH --layer LAYER [options]

For a token model (a language model reading N x T token ids): ranks the windows of a corpus by each
neuron's largest value (a unit of a linear layer's output at any position; that position's token is
the anchor) and keeps each neuron's top K. Every neuron of the layer is ranked in one batched pass;
windows run in batches of equal length, so nothing is padded. With a circuit (--mask, or --scores
with --sparsity) the same is done in the circuit beside the model.

  --corpus PATH            a text file or a folder of them (fortune files: one document per entry;
                           other text: one per paragraph); each document framed as the tokenizer's
                           models read it and cut into windows of --context tokens
  --layer LAYER            a linear layer (an MLP's fc, attention projections, GPT-2's c_fc)
  --units UNITS            3 | 3,7,9 | 0-15 | all (default all)
  --top K                  examples per neuron (default 9)
  --mask / --scores S --sparsity K   also rank in this circuit
  --out DIR                write DIR/examples.json and DIR/examples.html (every token coloured by
                           the neuron's value)
  --json                   print the examples as JSON
)";

}  // namespace

int runTokenTopExamples(const Args& args) {
    if (args.has("help")) return std::cout << kHelp << kTokenizerOptionsHelp, 0;
    if (!args.value("layer")) return usageError("top-examples needs --layer");
    if (const std::string problem = circuitOptionProblem(args); !problem.empty()) return usageError(problem);
    std::string err;
    const int64_t k = args.integer("top", 9, err).value_or(0);
    args.real("sparsity", 0.1, err);
    if (err.empty() && k < 1) err = "--top must be at least 1";
    if (!err.empty()) return usageError(err);
    const std::string modelPath = args.positional()[0], layer = *args.value("layer");
    auto tokenizer = tokenizerFor(args, modelPath);
    if (!tokenizer) return reportError(tokenizer.error());
    const auto& tok = tokenizer.value();
    auto corpus = corpusFor(args, tok);
    if (!corpus) return reportError(corpus.error());
    auto workspace = engine::Workspace::open(modelPath);
    if (!workspace) return reportError(workspace.error());
    auto& ws = *workspace.value();
    const int index = ws.summary().indexOf(layer);
    if (index < 0) return reportError(engine::invalidInput("the model has no layer '" + layer + "'"));
    auto units = engine::parseUnits(args.value("units", "all"), ws.summary().layers[size_t(index)].outChannels, "--units ");
    if (!units) return reportError(units.error());
    engine::JobContext job;
    attachTerminalProgress(job);
    engine::MaskHandle mask;
    if (const int code = circuitFromOptions(ws, args, job, mask)) return code;
    auto model = engine::topTokenExamples(ws, nullptr, corpus.value(), layer, units.value(), k, job);
    if (!model) return reportError(model.error());
    std::optional<engine::TokenExamplesResult> circuit;
    if (mask) {
        auto c = engine::topTokenExamples(ws, mask, corpus.value(), layer, units.value(), k, job);
        if (!c) return reportError(c.error());
        circuit = c.take();
    }
    const auto& m = model.value();
    json list = json::array();
    for (size_t u = 0; u < m.units.size(); ++u) {
        json entry = {{"unit", m.units[u].unit}, {"model", examplesJson(m.units[u], corpus.value(), tok)}};
        if (circuit) entry["circuit"] = examplesJson(circuit->units[u], corpus.value(), tok);
        list.push_back(entry);
    }
    json out = {{"layer", layer}, {"corpus", *args.value("corpus")}, {"tokens", m.tokens}, {"windows", corpus.value().windows.size()},
                {"top", k}, {"seconds", m.seconds}, {"units", list}};
    if (args.has("out")) {
        const std::filesystem::path dir(*args.value("out"));
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) return reportError(engine::invalidInput("cannot create " + dir.string() + ": " + ec.message()));
        std::ostringstream html;
        html << "<!doctype html><meta charset=\"utf-8\"><title>" << engine::htmlEscaped(layer) << " dataset examples</title>\n"
             << "<style>body{font-family:sans-serif;max-width:60em}p{line-height:1.8}</style>\n<h1>" << engine::htmlEscaped(layer) << "</h1>\n";
        for (const engine::TokenExamplesResult* result : {&m, circuit ? static_cast<const engine::TokenExamplesResult*>(&*circuit) : nullptr}) {
            if (!result) continue;
            auto readerOf = engine::NeuronReader::open(ws, result == &m ? nullptr : mask, layer, units.value());
            if (!readerOf) return reportError(readerOf.error());
            html << "<h2>" << (result == &m ? "model" : "circuit") << "</h2>\n";
            for (size_t u = 0; u < result->units.size(); ++u) {
                const auto& ex = result->units[u];
                html << "<h3>" << engine::htmlEscaped(layer) << ":" << ex.unit << "</h3>\n";
                const double scale = ex.top.empty() ? 1.0 : std::abs(ex.top[0].value);
                for (const auto& e : ex.top) {
                    const auto& ids = corpus.value().windows[size_t(e.window)].ids;
                    auto values = readerOf.value().unitValues({ids}, u);
                    if (!values) return reportError(values.error());
                    html << "<p><b>" << std::fixed << std::setprecision(3) << e.value << "</b> "
                         << engine::tokenHtml(tok, ids, values.value()[0], e.anchor, scale) << "</p>\n";
                }
            }
        }
        const std::string jsonPath = (dir / "examples.json").string(), htmlPath = (dir / "examples.html").string();
        if (auto st = engine::writeFileAtomic(htmlPath, html.str()); !st) return reportError(st.error());
        if (auto st = engine::writeFileAtomic(jsonPath, out.dump(2, ' ', false, kReplace) + "\n"); !st) return reportError(st.error());
        out["files"] = {jsonPath, htmlPath};
    }
    if (args.has("json")) {
        std::cout << out.dump(2, ' ', false, kReplace) << "\n";
        return 0;
    }
    for (size_t u = 0; u < m.units.size(); ++u) {
        for (const engine::TokenExamplesResult* result : {&m, circuit ? static_cast<const engine::TokenExamplesResult*>(&*circuit) : nullptr}) {
            if (!result) continue;
            std::cout << layer << ":" << m.units[u].unit << (circuit ? (result == &m ? "  model" : "  circuit") : "") << "\n";
            for (const auto& e : result->units[u].top) {
                const auto& ids = corpus.value().windows[size_t(e.window)].ids;
                const int64_t from = std::max<int64_t>(0, e.anchor - 12), to = std::min<int64_t>(int64_t(ids.size()), e.anchor + 4);
                std::cout << "  " << std::fixed << std::setprecision(3) << std::setw(8) << e.value << "  "
                          << (from > 0 ? "... " : "") << markedText(tok, ids, from, to, e.anchor)
                          << (to < int64_t(ids.size()) ? " ..." : "") << "\n";
            }
        }
    }
    std::cout << m.tokens << " tokens in " << std::setprecision(2) << m.seconds << " s (" << std::setprecision(0)
              << double(m.tokens) / std::max(m.seconds, 1e-9) << " tokens/s, " << m.units.size() << " neurons at once)\n";
    if (args.has("out")) std::cout << "wrote examples.json and examples.html to " << *args.value("out") << "\n";
    return 0;
}

}  // namespace cx::app
