// `cx neuron-circuit MODEL --corpus PATH --neuron LAYER:UNIT`: a language-model neuron's circuit,
// pruned on its own top examples, and its examples read in the circuit beside the model's.
#include <cmath>
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/commands.h"
#include "app/cli/text_inputs.h"
#include "engine/pruning/pruning.h"
#include "engine/text/neuron_circuit.h"

namespace cx::app {
namespace {

using nlohmann::json;
constexpr auto kReplace = json::error_handler_t::replace;

const char* kHelp = R"(usage: cx neuron-circuit MODEL --corpus PATH --neuron LAYER:UNIT [options]

The circuit of a token model's neuron: its top K windows of the corpus (as cx top-examples), the
weights that reach it scored on them with the objective "the neuron's largest value in each
window" (the value they were ranked by), the top fraction kept (cx prune's exact top-k, dead ends
removed). Then the neuron is read in the circuit: at the anchors of the model's examples, and over
the whole corpus for the circuit's own top examples.

  --corpus PATH            a text file or a folder (as cx top-examples)
  --neuron LAYER:UNIT      a unit of a linear layer's output
  --top K                  examples scored on and compared (default 9)
  --sparsity S             the fraction of the relevant weights kept (default 0.05)
  --criterion C            actgrad (default), snip, magnitude, random
  --out MASK.safetensors   write the circuit's mask (atomically; cx diagram draws it)
  --scores-out FILE        write the scores (cx prune cuts other sizes from them)
  --json                   print the result as JSON
)";

json examplesJson(const engine::TokenUnitExamples& ex, const engine::TokenCorpus& corpus, const engine::Tokenizer& t,
                  const std::vector<double>* circuitValues) {
    json list = json::array();
    for (size_t i = 0; i < ex.top.size(); ++i) {
        const auto& e = ex.top[i];
        const auto& ids = corpus.windows[size_t(e.window)].ids;
        json item = {{"window", e.window}, {"anchor", e.anchor}, {"anchor_token", t.tokenText(ids[size_t(e.anchor)])},
                     {"text", markedText(t, ids, 0, int64_t(ids.size()), e.anchor)}};
        if (circuitValues) {
            item["model"] = e.value;
            item["circuit"] = (*circuitValues)[i];
        } else {
            item["value"] = e.value;
        }
        list.push_back(item);
    }
    return list;
}

}  // namespace

int runNeuronCircuitCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"corpus", "neuron", "top", "sparsity", "criterion", "out", "scores-out", "tokenizer", "merges", "context"},
              {"json", "help", "cased"});
    if (args.has("help")) return std::cout << kHelp << kTokenizerOptionsHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("neuron-circuit takes one MODEL file (see cx neuron-circuit --help)");
    if (!args.value("corpus") || !args.value("neuron")) return usageError("neuron-circuit needs --corpus and --neuron LAYER:UNIT");
    std::string err;
    engine::NeuronCircuitSpec spec;
    const int64_t k = args.integer("top", 9, err).value_or(0);
    spec.sparsity = args.real("sparsity", spec.sparsity, err).value_or(0);
    spec.criterion = args.choice("criterion", spec.criterion, engine::parseCriterion, err);
    if (err.empty() && k < 1) err = "--top must be at least 1";
    if (err.empty() && !(spec.sparsity > 0 && spec.sparsity <= 1)) err = "--sparsity must be in (0, 1]";
    if (err.empty() && spec.criterion == engine::Criterion::Force)
        err = "--criterion force scores one input set as a whole; a neuron's examples come in several lengths";
    if (!err.empty()) return usageError(err);
    auto neuron = neuronFor(args);
    if (!neuron) return reportError(neuron.error());
    spec.layer = neuron.value().first;
    spec.unit = neuron.value().second;
    const std::string modelPath = args.positional()[0];
    auto tokenizer = tokenizerFor(args, modelPath);
    if (!tokenizer) return reportError(tokenizer.error());
    const auto& tok = tokenizer.value();
    auto corpus = corpusFor(args, tok);
    if (!corpus) return reportError(corpus.error());
    auto workspace = engine::Workspace::open(modelPath);
    if (!workspace) return reportError(workspace.error());
    auto& ws = *workspace.value();
    engine::JobContext job;
    attachTerminalProgress(job);
    auto top = engine::topTokenExamples(ws, nullptr, corpus.value(), spec.layer, {spec.unit}, k, job);
    if (!top) return reportError(top.error());
    const auto& model = top.value().units.front();
    auto found = engine::neuronCircuit(ws, corpus.value(), model, spec, job);
    if (!found) return reportError(found.error());
    const auto& c = found.value();
    if (const auto out = args.value("scores-out"))
        if (auto st = engine::writeScores(ws, *c.scores, *out); !st) return reportError(st.error());
    if (const auto out = args.value("out"))
        if (auto st = engine::writeMask(ws, *c.mask, *out); !st) return reportError(st.error());
    double sumModel = 0.0, sumDiff = 0.0;
    for (size_t i = 0; i < model.top.size(); ++i) {
        sumModel += std::abs(model.top[i].value);
        sumDiff += std::abs(c.onModelExamples[i] - model.top[i].value);
    }
    const double dfnorm = sumModel > 0 ? sumDiff / sumModel : 0.0;
    int shared = 0;
    for (const auto& e : c.circuitTop.top)
        for (const auto& m : model.top) shared += m.window == e.window;
    const std::string name = spec.layer + ":" + std::to_string(spec.unit);
    if (args.has("json")) {
        json out = {{"neuron", name},
                    {"criterion", engine::nameOf(spec.criterion)},
                    {"sparsity", spec.sparsity},
                    {"relevant", c.prune.relevant},
                    {"kept", c.prune.kept},
                    {"effective_kept", c.prune.effectiveKept},
                    {"disconnected", c.prune.disconnected},
                    {"scored_windows", c.windows},
                    {"scored_tokens", c.tokens},
                    {"dfnorm", dfnorm},
                    {"shared_top", shared},
                    {"model", examplesJson(model, corpus.value(), tok, &c.onModelExamples)},
                    {"circuit", examplesJson(c.circuitTop, corpus.value(), tok, nullptr)}};
        std::cout << out.dump(2, ' ', false, kReplace) << "\n";
        return 0;
    }
    std::cout << name << ": " << engine::nameOf(spec.criterion) << " on its " << c.windows << " top examples (" << c.tokens
              << " tokens), kept " << c.prune.kept << " of " << c.prune.relevant << " weights (" << c.prune.effectiveKept
              << " on a path)" << (c.prune.disconnected ? ", DISCONNECTED" : "") << "\n"
              << std::fixed << std::setprecision(3) << "the model's top examples     model   circuit   (delta-f-norm " << dfnorm << ")\n";
    for (size_t i = 0; i < model.top.size(); ++i) {
        const auto& e = model.top[i];
        const auto& ids = corpus.value().windows[size_t(e.window)].ids;
        const int64_t from = std::max<int64_t>(0, e.anchor - 10), to = std::min<int64_t>(int64_t(ids.size()), e.anchor + 3);
        std::cout << "  " << std::setw(8) << e.value << "  " << std::setw(8) << c.onModelExamples[i] << "  " << (from > 0 ? "... " : "")
                  << markedText(tok, ids, from, to, e.anchor) << "\n";
    }
    std::cout << "the circuit's top examples (" << shared << " of " << c.circuitTop.top.size() << " are the model's)\n";
    for (const auto& e : c.circuitTop.top) {
        const auto& ids = corpus.value().windows[size_t(e.window)].ids;
        const int64_t from = std::max<int64_t>(0, e.anchor - 10), to = std::min<int64_t>(int64_t(ids.size()), e.anchor + 3);
        std::cout << "  " << std::setw(8) << e.value << "  " << (from > 0 ? "... " : "") << markedText(tok, ids, from, to, e.anchor) << "\n";
    }
    if (const auto out = args.value("out")) std::cout << "mask: " << *out << "\n";
    return 0;
}

}  // namespace cx::app
