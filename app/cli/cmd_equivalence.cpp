// `cx equivalence A.pt B.pt`: which units of A (a model or a circuit of it) have an equivalent in
// B (seed 004), layer by layer or as a network, with the matching.
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "engine/equiv/circuit_units.h"
#include "engine/equiv/equivalence.h"
#include "engine/equiv/unit_strings.h"
#include "engine/io/atomic_file.h"
#include "engine/pruning/pruning.h"

namespace cx::app {
namespace {

using nlohmann::json;

const char* kHelp = R"(usage: cx equivalence A.pt B.pt [--mask-a M] [--mask-b M] [options]

Seed 004's equivalence: a unit excites for the subsets of its inputs (each on or off) whose weights
and bias sum above the threshold; two units are equivalent when the same subsets excite them. For
each layer pair, the units of A (those the circuit keeps an input of) are matched one to one with
equivalent units of B. Signatures are exact up to --max-fan-in relevant inputs (inputs that can
never change the output are left out first, by enumeration or by a margin bound); past it they
are compared on sampled subsets and reported as approximate.

  --mask-a M, --mask-b M   read A or B as a circuit (any mask file of that model)
  --layers LIST            L (the same layer in both) or LA=LB, comma-separated; default: every
                           layer both have (those refused are listed)
  --same | --permuted      inputs matched as the same inputs (default when A and B are the same
                           model file) or up to a permutation (default otherwise), reported
  --whole                  the same function over all inputs; default: B's unit is read with only
                           A's inputs on (A found inside B; with --same only)
  --network                the layers as one network: consecutive in order, each layer's inputs
                           mapped by the matching below it
  --threshold T            the activation threshold (default 0, ReLU's)
  --max-fan-in N           exact signatures up to N relevant inputs (default 24, at most 30)
  --epsilon E              sums within E x (sum |w| + |b|) of the threshold match either way (1e-6)
  --strings FILE           write both sides as seed 004's strings: per unit its connections above
                           10% of its strongest, strongest first (i->j tokens; with --permuted,
                           sign and size class only), then the bias sign
  --similarity FILE.csv    write the string similarity of every unit pair (layer,a,b,similarity)
  --prefilter S            compare only the pairs whose string similarity is at least S (faster;
                           a match it skips is lost)
  --json                   print the matchings as JSON
)";

struct Side {
    std::shared_ptr<engine::Workspace> ws;
    engine::MaskHandle mask;
};

int openSide(const std::string& model, const std::optional<std::string>& mask, Side& side) {
    auto ws = engine::Workspace::open(model);
    if (!ws) return reportError(ws.error());
    side.ws = ws.take();
    if (mask) {
        auto m = engine::readMask(*side.ws, *mask);
        if (!m) return reportError(m.error());
        side.mask = m.take();
    }
    return 0;
}

json matchingJson(const engine::LayerMatching& m, const engine::LayerUnits& a, const engine::LayerUnits& b) {
    json pairs = json::array();
    for (size_t p = 0; p < m.pairs.size(); ++p) {
        const auto& c = m.comparisons[p];
        json map = json::array();
        for (const auto& [from, to] : c.inputMap) map.push_back({from, to});
        pairs.push_back({{"a", a.units[m.pairs[p].first].name}, {"b", b.units[m.pairs[p].second].name}, {"exact", c.exact}, {"inputs", map}});
    }
    json unmatched = json::array();
    for (size_t i : m.unmatched) unmatched.push_back(a.units[i].name);
    return {{"layer_a", a.layer},       {"layer_b", b.layer},         {"units_a", a.units.size()},   {"units_b", b.units.size()},
            {"matched", m.pairs.size()}, {"contained", m.contained},  {"exact", m.exact},            {"pairs", pairs},
            {"unmatched", unmatched},   {"alternatives", m.alternatives}, {"compared", m.compared},     {"candidates", m.candidates},  {"enumerated_subsets", m.enumeratedSubsets}};
}

void printMatching(const engine::LayerMatching& m, const engine::LayerUnits& a, const engine::LayerUnits& b, bool permuted) {
    std::cout << a.layer << " -> " << b.layer << ": " << m.pairs.size() << " of " << a.units.size() << " units of A have an equivalent in B's "
              << b.units.size() << (m.contained ? " (a sublayer)" : "") << (m.exact ? "" : ", some approximate") << "; " << m.compared
              << " pairs compared of " << a.units.size() * b.units.size() << ", " << std::setprecision(3) << m.enumeratedSubsets
              << " subsets enumerated\n";
    for (size_t p = 0; p < m.pairs.size(); ++p) {
        const auto& c = m.comparisons[p];
        std::cout << "  " << std::left << std::setw(24) << a.units[m.pairs[p].first].name << " = " << std::setw(24)
                  << b.units[m.pairs[p].second].name << (c.exact ? "exact" : "approximate");
        if (permuted) {
            std::cout << "  inputs";
            for (const auto& [from, to] : c.inputMap) std::cout << " " << from << "->" << to;
        }
        std::cout << std::right << "\n";
    }
    for (size_t i : m.unmatched) std::cout << "  " << a.units[i].name << " has none\n";
}

}  // namespace

int runEquivalenceCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"mask-a", "mask-b", "layers", "threshold", "max-fan-in", "epsilon", "strings", "similarity", "prefilter"}, {"same", "permuted", "whole", "network", "json", "help"});
    if (args.has("help")) return std::cout << kHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 2) return usageError("equivalence takes two model files, A and B (see cx equivalence --help)");
    if (args.has("same") && args.has("permuted")) return usageError("--same and --permuted do not go together");
    std::string err;
    engine::SignatureOptions options;
    options.threshold = args.real("threshold", 0.0, err).value_or(0);
    options.maxExactFanIn = int(args.integer("max-fan-in", 24, err).value_or(0));
    options.epsilon = args.real("epsilon", 1e-6, err).value_or(0);
    if (err.empty() && (options.maxExactFanIn < 0 || options.maxExactFanIn > engine::kMaxEnumeratedInputs))
        err = "--max-fan-in must lie in 0.." + std::to_string(engine::kMaxEnumeratedInputs);
    if (err.empty() && !(options.epsilon >= 0)) err = "--epsilon must be 0 or more";
    const double prefilter = args.real("prefilter", 0.0, err).value_or(0);
    if (err.empty() && !(prefilter >= 0 && prefilter <= 1)) err = "--prefilter must lie in 0..1";
    if (err.empty() && args.has("prefilter") && args.has("network")) err = "--prefilter works layer by layer, not with --network";
    if (!err.empty()) return usageError(err);
    Side a, b;
    if (const int code = openSide(args.positional()[0], args.value("mask-a"), a)) return code;
    if (const int code = openSide(args.positional()[1], args.value("mask-b"), b)) return code;
    const auto& sa = a.ws->summary();
    const auto& sb = b.ws->summary();
    const bool sameModel = sa.sha256 == sb.sha256;
    const auto mode = args.has("permuted") || (!args.has("same") && !sameModel) ? engine::InputMatch::Permuted : engine::InputMatch::Same;
    const bool contains = !args.has("whole") && mode == engine::InputMatch::Same;
    std::vector<std::pair<std::string, std::string>> layers;
    std::vector<std::string> skipped;
    if (const auto list = args.value("layers")) {
        std::stringstream in(*list);
        for (std::string item; std::getline(in, item, ',');) {
            const auto eq = item.find('=');
            layers.push_back(eq == std::string::npos ? std::pair{item, item} : std::pair{item.substr(0, eq), item.substr(eq + 1)});
        }
    } else {
        for (const auto& l : sa.layers)
            if (sb.indexOf(l.name) >= 0) layers.push_back({l.name, l.name});
        if (layers.empty()) return usageError("A and B have no layer of the same name: give --layers LA=LB,...");
    }
    engine::JobContext job;
    attachTerminalProgress(job);
    std::vector<engine::LayerUnits> unitsA, unitsB;
    for (const auto& [la, lb] : layers) {
        auto ua = engine::circuitUnits(*a.ws, a.mask, la);
        auto ub = ua ? engine::circuitUnits(*b.ws, b.mask, lb) : engine::Result<engine::LayerUnits>(ua.error());
        if (!ua || !ub) {
            if (args.has("layers")) return reportError(ua ? ub.error() : ua.error());
            skipped.push_back(la + " (" + (ua ? ub.error() : ua.error()).message + ")");
            continue;
        }
        if (ua.value().units.empty()) continue;  // the circuit keeps nothing of this layer
        unitsA.push_back(ua.take());
        unitsB.push_back(ub.take());
    }
    if (unitsA.empty()) return reportError(engine::invalidInput("no layer of A keeps a unit to compare"));
    engine::StringOptions strings;
    strings.permutationInvariant = mode == engine::InputMatch::Permuted;
    std::vector<std::vector<std::vector<double>>> similarity;
    for (size_t k = 0; k < unitsA.size(); ++k) similarity.push_back(engine::similarityMatrix(unitsA[k].units, unitsB[k].units, strings));
    if (const auto path = args.value("strings")) {
        std::string text;
        for (size_t k = 0; k < unitsA.size(); ++k)
            text += "# A " + unitsA[k].layer + "\n" + engine::layerString(unitsA[k].units, strings) + "# B " + unitsB[k].layer + "\n" +
                    engine::layerString(unitsB[k].units, strings);
        if (auto st = engine::writeFileAtomic(*path, text); !st) return reportError(st.error());
    }
    if (const auto path = args.value("similarity")) {
        std::ostringstream csv;
        csv << "layer,a,b,similarity\n";
        for (size_t k = 0; k < unitsA.size(); ++k)
            for (size_t i = 0; i < unitsA[k].units.size(); ++i)
                for (size_t j = 0; j < unitsB[k].units.size(); ++j)
                    csv << unitsA[k].layer << ',' << unitsA[k].units[i].name << ',' << unitsB[k].units[j].name << ',' << similarity[k][i][j] << '\n';
        if (auto st = engine::writeFileAtomic(*path, csv.str()); !st) return reportError(st.error());
    }
    const auto* filter = args.has("prefilter") ? &similarity : nullptr;
    json out = {{"mode", std::string(mode == engine::InputMatch::Same ? "same" : "permuted")}, {"contains", contains}, {"threshold", options.threshold}};
    json list = json::array();
    const bool permuted = mode == engine::InputMatch::Permuted;
    if (args.has("network")) {
        std::vector<std::vector<engine::ThresholdUnit>> na, nb;
        for (size_t k = 0; k < unitsA.size(); ++k) {
            if (k > 0 && (unitsA[k].source != sa.indexOf(unitsA[k - 1].layer) || unitsB[k].source != sb.indexOf(unitsB[k - 1].layer)))
                return reportError(engine::invalidInput("--network needs each layer's inputs to be the channels of the layer before it: " +
                                                        unitsA[k].layer + "'s are not"));
            na.push_back(unitsA[k].units);
            nb.push_back(unitsB[k].units);
        }
        auto found = engine::containNetwork(na, nb, mode, contains, options, job);
        if (!found) return reportError(found.error());
        for (size_t k = 0; k < found.value().layers.size(); ++k) list.push_back(matchingJson(found.value().layers[k], unitsA[k], unitsB[k]));
        out["network_contained"] = found.value().contained;
        out["network_search_exhaustive"] = found.value().exhaustive;
        if (!args.has("json")) {
            std::cout << "network A " << (found.value().contained ? "is" : "is not") << " contained in B"
                      << (found.value().contained || found.value().exhaustive ? "" : " along the matchings followed (other matchings were possible)")
                      << ", layer by layer:\n";
            for (size_t k = 0; k < found.value().layers.size(); ++k) printMatching(found.value().layers[k], unitsA[k], unitsB[k], permuted);
        }
    } else {
        for (size_t k = 0; k < unitsA.size(); ++k) {
            auto m = engine::matchLayer(unitsA[k].units, unitsB[k].units, mode, contains, options, job, nullptr, double(1u << 30),
                                        filter ? &(*filter)[k] : nullptr, prefilter);
            if (!m) return reportError(m.error());
            list.push_back(matchingJson(m.value(), unitsA[k], unitsB[k]));
            if (!args.has("json")) printMatching(m.value(), unitsA[k], unitsB[k], permuted);
        }
    }
    out["layers"] = list;
    out["skipped"] = skipped;
    if (args.has("json")) {
        std::cout << out.dump(2) << "\n";
    } else {
        for (const auto& s : skipped) std::cout << "skipped " << s << "\n";
    }
    return 0;
}

}  // namespace cx::app
