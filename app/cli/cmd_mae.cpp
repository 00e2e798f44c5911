// `cx mae` and `cx local-search` (seed 003): a token model's neuron, its top dataset examples
// pruned to minimal activating examples, and the masked language model's substitutes around them.
#include <filesystem>
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/commands.h"
#include "app/cli/text_inputs.h"
#include "engine/io/atomic_file.h"
#include "engine/text/behaviour_graph.h"
#include "engine/text/local_search.h"
#include "engine/text/token_examples.h"

namespace cx::app {
namespace {

using nlohmann::json;
constexpr auto kReplace = json::error_handler_t::replace;

const char* kMaeHelp = R"(usage: cx mae MODEL --corpus PATH --neuron LAYER:UNIT [options]

Seed 003's minimal activating examples: the neuron's top K windows of the corpus (cx top-examples),
each pruned to the sentence holding its anchor token (the highest value), then token by token from
the end and from the start to the shortest substring whose anchor value has dropped by at most
--keep of the original. Each substring is read as a text of its own. Where the sentence alone
already loses the activation (the seed's failure case), pruning starts from the whole window.

  --corpus PATH            a text file or a folder (as cx top-examples)
  --neuron LAYER:UNIT      a unit of a linear layer's output
  --top K                  examples pruned (default 5)
  --keep X                 the drop allowed, as a fraction of the original value (the seed's x,
                           default 0.6: a substring passes with at least 40% of the value)
  --window W               tokens always kept either side of the anchor (default 0)
  --json                   print the examples as JSON
)";

const char* kSearchHelp = R"(usage: cx local-search MODEL --mlm MLM.pt --neuron LAYER:UNIT (--corpus PATH | --text TEXT) [options]

Seed 003's local search: around each minimal activating example (cx mae on the corpus; or TEXT
itself, its anchor the token of the highest value) each token that is not a stop word is masked in
turn, the masked language model's top N substitutes are put in its place and the neuron is read
again at the anchor. A substitute whose value dropped by less than --positive of the MAE's is a
positive example, by more than --negative a negative one. The masked model reads the same tokenizer
as MODEL (the demo pair shares resources/demo/tokenizer.json).

  --mlm MLM.pt             a TorchScript masked LM: N x T ids -> N x T x vocabulary logits
  --neuron LAYER:UNIT      a unit of a linear layer's output
  --corpus PATH            find the MAEs of the neuron's top examples here (--top K, default 1;
                           --keep, --window as cx mae)
  --text TEXT              or search around this text
  --positive Y             the seed's y (default 0.4)
  --negative Z             the seed's z (default 0.7)
  --top-n N                substitutes per token (default 10)
  --csv FILE               write every substitute as CSV (atomically)
  --graph FILE             write the neuron's behaviour graph (.svg, .png, .pdf or .dot): the
                           activating tokens and the context each needs, from all the searches
  --json                   print the result as JSON
)";

struct NeuronContext {
    std::shared_ptr<engine::Workspace> workspace;
    std::optional<engine::Tokenizer> tokenizer;
    std::optional<engine::NeuronReader> reader;
    std::string layer;
    int64_t unit = 0;
};

int openNeuron(const Args& args, NeuronContext& c) {
    auto neuron = neuronFor(args);
    if (!neuron) return reportError(neuron.error());
    c.layer = neuron.value().first;
    c.unit = neuron.value().second;
    auto tokenizer = tokenizerFor(args, args.positional()[0]);
    if (!tokenizer) return reportError(tokenizer.error());
    c.tokenizer = tokenizer.take();
    auto workspace = engine::Workspace::open(args.positional()[0]);
    if (!workspace) return reportError(workspace.error());
    c.workspace = workspace.take();
    auto reader = engine::NeuronReader::open(*c.workspace, nullptr, c.layer, {c.unit});
    if (!reader) return reportError(reader.error());
    c.reader = reader.take();
    return 0;
}

// The MAEs of the neuron's top `k` windows.
engine::Result<std::vector<engine::MinimalExample>> maesOf(const Args& args, NeuronContext& c, int64_t k,
                                                           engine::JobContext& job) {
    std::string err;
    engine::MaeOptions options;
    options.maxDrop = args.real("keep", options.maxDrop, err).value_or(0);
    options.window = args.integer("window", 0, err).value_or(0);
    if (!err.empty()) return engine::invalidInput(err);
    if (!(options.maxDrop >= 0 && options.maxDrop <= 1)) return engine::invalidInput("--keep must lie in 0..1");
    if (options.window < 0) return engine::invalidInput("--window must be 0 or more");
    auto corpus = corpusFor(args, *c.tokenizer);
    if (!corpus) return corpus.error();
    auto top = engine::topTokenExamples(*c.workspace, nullptr, corpus.value(), c.layer, {c.unit}, k, job);
    if (!top) return top.error();
    std::vector<engine::MinimalExample> out;
    for (const auto& e : top.value().units[0].top) {
        auto mae = engine::minimalExample(*c.reader, 0, *c.tokenizer, corpus.value().windows[size_t(e.window)].ids, e.anchor, options);
        if (!mae) return mae.error();
        out.push_back(mae.take());
    }
    return out;
}

json maeJson(const engine::MinimalExample& m, const engine::Tokenizer& t) {
    return {{"example", markedText(t, m.example, 0, int64_t(m.example.size()), m.anchor)},
            {"anchor_token", t.tokenText(m.example[size_t(m.anchor)])},
            {"original", m.original},
            {"mae", markedText(t, m.example, m.begin, m.end, m.anchor)},
            {"ids", m.ids()},
            {"value", m.value},
            {"ratio", m.ratio},
            {"from_sentence", m.fromSentence},
            {"evaluations", m.evaluations}};
}

bool goodTop(const Args& args, long long fallback, int64_t& k, std::string& err) {
    k = args.integer("top", fallback, err).value_or(0);
    if (err.empty() && k < 1) err = "--top must be at least 1";
    return err.empty();
}

std::string csvField(const std::string& s) {
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

}  // namespace

int runMaeCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"corpus", "neuron", "top", "keep", "window", "tokenizer", "merges", "context"}, {"json", "help", "cased"});
    if (args.has("help")) return std::cout << kMaeHelp << kTokenizerOptionsHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("mae takes one MODEL file (see cx mae --help)");
    if (!args.value("corpus") || !args.value("neuron")) return usageError("mae needs --corpus and --neuron LAYER:UNIT");
    std::string err;
    int64_t k = 0;
    if (!goodTop(args, 5, k, err)) return usageError(err);
    NeuronContext c;
    if (const int code = openNeuron(args, c)) return code;
    engine::JobContext job;
    attachTerminalProgress(job);
    auto maes = maesOf(args, c, k, job);
    if (!maes) return reportError(maes.error());
    if (args.has("json")) {
        json list = json::array();
        for (const auto& m : maes.value()) list.push_back(maeJson(m, *c.tokenizer));
        std::cout << json({{"neuron", c.layer + ":" + std::to_string(c.unit)}, {"examples", list}}).dump(2, ' ', false, kReplace) << "\n";
        return 0;
    }
    std::cout << std::fixed << std::setprecision(3);
    for (size_t i = 0; i < maes.value().size(); ++i) {
        const auto& m = maes.value()[i];
        std::cout << i + 1 << ". " << markedText(*c.tokenizer, m.example, m.begin, m.end, m.anchor) << "\n     " << m.value << " of "
                  << m.original << " (" << std::setprecision(0) << 100.0 * m.ratio << "%" << std::setprecision(3) << ", "
                  << m.end - m.begin << " of " << m.example.size() << " tokens"
                  << (m.fromSentence ? "" : "; the sentence alone lost it: pruned from the whole example") << ")\n";
    }
    return 0;
}

int runLocalSearchCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"mlm", "corpus", "text", "neuron", "top", "keep", "window", "positive", "negative", "top-n", "csv", "graph", "tokenizer",
                     "merges", "context"},
              {"json", "help", "cased"});
    if (args.has("help")) return std::cout << kSearchHelp << kTokenizerOptionsHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("local-search takes one MODEL file (see cx local-search --help)");
    if (!args.value("mlm") || !args.value("neuron")) return usageError("local-search needs --mlm MLM.pt and --neuron LAYER:UNIT");
    if (args.has("corpus") == args.has("text")) return usageError("local-search needs one of --corpus PATH and --text TEXT");
    std::string err;
    engine::LocalSearchOptions options;
    options.positive = args.real("positive", options.positive, err).value_or(0);
    options.negative = args.real("negative", options.negative, err).value_or(0);
    options.topN = args.integer("top-n", options.topN, err).value_or(0);
    int64_t k = 0;
    if (err.empty()) goodTop(args, 1, k, err);
    if (err.empty() && !(options.positive >= 0 && options.positive <= options.negative && options.negative <= 1))
        err = "--positive and --negative must satisfy 0 <= positive <= negative <= 1";
    if (err.empty() && options.topN < 1) err = "--top-n must be at least 1";
    if (const auto graph = args.value("graph")) {
        const auto ext = std::filesystem::path(*graph).extension().string();
        if (err.empty() && ext != ".svg" && ext != ".png" && ext != ".pdf" && ext != ".dot")
            err = "--graph writes .svg, .png, .pdf or .dot, not '" + *graph + "'";
    }
    if (!err.empty()) return usageError(err);
    NeuronContext c;
    if (const int code = openNeuron(args, c)) return code;
    auto mlm = engine::MaskedLanguageModel::load(*args.value("mlm"), *c.tokenizer);
    if (!mlm) return reportError(mlm.error());
    engine::JobContext job;
    attachTerminalProgress(job);
    std::vector<engine::MinimalExample> maes;
    if (args.has("text")) {
        engine::MinimalExample m;
        m.example = c.tokenizer->encode(*args.value("text"));
        if (m.example.empty()) return reportError(engine::invalidInput("--text has no token"));
        int64_t shift = 0;
        auto values = c.reader->unitValues({engine::readAlone(engine::framingOf(*c.tokenizer), m.example, shift)}, 0);
        if (!values) return reportError(values.error());
        const auto& v = values.value()[0];
        m.anchor = 0;
        for (int64_t i = 1; i < int64_t(m.example.size()); ++i)
            if (v[size_t(i + shift)] > v[size_t(m.anchor + shift)]) m.anchor = i;
        m.begin = 0;
        m.end = int64_t(m.example.size());
        m.original = m.value = v[size_t(m.anchor + shift)];
        m.ratio = 1.0;
        maes.push_back(std::move(m));
    } else {
        auto found = maesOf(args, c, k, job);
        if (!found) return reportError(found.error());
        maes = found.take();
    }
    const auto& t = *c.tokenizer;
    std::vector<engine::LocalSearchResult> searches;
    json results = json::array();
    std::string csv = "mae,position,original,substitute,text,value,drop,kind\n";
    std::ostringstream text;
    text << std::fixed << std::setprecision(3);
    for (size_t i = 0; i < maes.size(); ++i) {
        auto r = engine::localSearch(*c.reader, 0, mlm.value(), t, maes[i], options, job);
        if (!r) return reportError(r.error());
        const auto& s = r.value();
        json subs = json::array();
        text << "MAE " << i + 1 << ": " << markedText(t, s.ids, 0, int64_t(s.ids.size()), s.anchor) << "  (" << s.value << ")\n";
        for (const auto kind : {engine::SubstituteKind::Positive, engine::SubstituteKind::Negative}) {
            text << "  " << engine::substituteKindName(kind) << "s:\n";
            int shown = 0;
            for (const auto& sub : s.substitutes)
                if (sub.kind == kind) {
                    text << "    " << std::setw(8) << sub.value << "  " << markedText(t, sub.ids, 0, int64_t(sub.ids.size()), s.anchor)
                         << "   (" << t.tokenText(sub.original) << " -> " << t.tokenText(sub.replacement) << ")\n";
                    ++shown;
                }
            if (!shown) text << "    (none)\n";
        }
        for (const auto& sub : s.substitutes) {
            const std::string sentence = markedText(t, sub.ids, 0, int64_t(sub.ids.size()), s.anchor);
            subs.push_back({{"position", sub.position}, {"original", t.tokenText(sub.original)}, {"substitute", t.tokenText(sub.replacement)},
                            {"text", sentence}, {"value", sub.value}, {"drop", sub.drop}, {"kind", engine::substituteKindName(sub.kind)}});
            std::ostringstream row;
            row << i + 1 << "," << sub.position << "," << csvField(t.tokenText(sub.original)) << "," << csvField(t.tokenText(sub.replacement))
                << "," << csvField(sentence) << "," << sub.value << "," << sub.drop << "," << engine::substituteKindName(sub.kind) << "\n";
            csv += row.str();
        }
        std::vector<std::string> skipped;
        for (int64_t p : s.skipped) skipped.push_back(t.tokenText(s.ids[size_t(p)]));
        results.push_back({{"mae", markedText(t, s.ids, 0, int64_t(s.ids.size()), s.anchor)}, {"ids", s.ids}, {"anchor", s.anchor},
                           {"value", s.value}, {"skipped", skipped}, {"substitutes", subs}});
        searches.push_back(r.take());
    }
    if (args.has("csv"))
        if (auto st = engine::writeFileAtomic(*args.value("csv"), csv); !st) return reportError(st.error());
    if (args.has("graph")) {
        const auto graph = engine::buildBehaviourGraph(c.layer + ":" + std::to_string(c.unit), t, searches);
        if (auto st = engine::writeBehaviourGraph(graph, *args.value("graph")); !st) return reportError(st.error());
    }
    if (args.has("json")) {
        std::cout << json({{"neuron", c.layer + ":" + std::to_string(c.unit)}, {"positive", options.positive},
                           {"negative", options.negative}, {"top_n", options.topN}, {"searches", results}})
                         .dump(2, ' ', false, kReplace)
                  << "\n";
        return 0;
    }
    std::cout << text.str();
    if (args.has("csv")) std::cout << "wrote " << *args.value("csv") << "\n";
    if (args.has("graph")) std::cout << "wrote " << *args.value("graph") << "\n";
    return 0;
}

}  // namespace cx::app
