#include "engine/text/behaviour_graph.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "engine/diagram/diagram_layout.h"
#include "engine/io/atomic_file.h"

namespace cx::engine {
namespace {

std::string spelled(const Tokenizer& t, int64_t id) {
    std::string s = t.decode({id});
    const auto first = s.find_first_not_of(" \t\n");
    if (first == std::string::npos) return t.tokenText(id);
    return s.substr(first, s.find_last_not_of(" \t\n") - first + 1);
}

struct Position {
    BehaviourRole role = BehaviourRole::Untested;
    std::vector<std::string> positives;
    double meanDrop = 0.0;
};

// What the search says of each position of one MAE.
std::vector<Position> positionsOf(const Tokenizer& t, const LocalSearchResult& r) {
    std::vector<Position> out(r.ids.size());
    std::vector<int64_t> tried(r.ids.size(), 0), broken(r.ids.size(), 0);
    for (const auto& s : r.substitutes) {
        auto& p = out[size_t(s.position)];
        ++tried[size_t(s.position)];
        p.meanDrop += s.drop;
        if (s.kind == SubstituteKind::Negative) ++broken[size_t(s.position)];
        if (s.kind == SubstituteKind::Positive) p.positives.push_back(spelled(t, s.replacement));
    }
    for (size_t i = 0; i < out.size(); ++i) {
        if (!tried[i]) continue;
        out[i].meanDrop /= double(tried[i]);
        out[i].role = 2 * broken[i] > tried[i] ? BehaviourRole::Needed : BehaviourRole::Any;
    }
    return out;
}

std::string escaped(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

}  // namespace

BehaviourGraph buildBehaviourGraph(const std::string& neuron, const Tokenizer& t, const std::vector<LocalSearchResult>& searches) {
    BehaviourGraph g;
    g.neuron = neuron;
    std::map<std::pair<int64_t, std::string>, int64_t> byParent;  // (next node, token) -> node
    for (const auto& r : searches) {
        if (r.ids.empty() || r.anchor < 0 || r.anchor >= int64_t(r.ids.size())) continue;
        ++g.examples;
        const auto positions = positionsOf(t, r);
        // The anchor: one activating node per token.
        const std::string anchorToken = spelled(t, r.ids[size_t(r.anchor)]);
        auto [it, added] = byParent.insert({{-1, anchorToken}, int64_t(g.nodes.size())});
        if (added) g.nodes.push_back({anchorToken, {}, BehaviourRole::Activating, r.value, 0, -1});
        int64_t at = it->second;
        auto& anchorNode = g.nodes[size_t(at)];
        anchorNode.value = std::max(anchorNode.value, r.value);
        ++anchorNode.examples;
        for (const auto& alt : positions[size_t(r.anchor)].positives)
            if (std::find(anchorNode.alternatives.begin(), anchorNode.alternatives.end(), alt) == anchorNode.alternatives.end())
                anchorNode.alternatives.push_back(alt);
        // The context back to the earliest needed token.
        int64_t earliest = r.anchor;
        for (int64_t p = r.anchor - 1; p >= 0; --p)
            if (positions[size_t(p)].role == BehaviourRole::Needed) earliest = p;
        for (int64_t p = r.anchor - 1; p >= earliest; --p) {
            const auto& pos = positions[size_t(p)];
            const std::string token = pos.role == BehaviourRole::Any ? "*" : spelled(t, r.ids[size_t(p)]);
            auto [child, isNew] = byParent.insert({{at, token}, int64_t(g.nodes.size())});
            if (isNew) g.nodes.push_back({token, {}, pos.role, 0.0, 0, at});
            auto& node = g.nodes[size_t(child->second)];
            node.value = (node.value * double(node.examples) + pos.meanDrop) / double(node.examples + 1);
            ++node.examples;
            if (pos.role == BehaviourRole::Needed)
                for (const auto& alt : pos.positives)
                    if (std::find(node.alternatives.begin(), node.alternatives.end(), alt) == node.alternatives.end())
                        node.alternatives.push_back(alt);
            at = child->second;
        }
    }
    return g;
}

std::string behaviourDot(const BehaviourGraph& g) {
    double best = 1e-12;
    for (const auto& n : g.nodes)
        if (n.role == BehaviourRole::Activating) best = std::max(best, std::abs(n.value));
    std::ostringstream dot;
    dot << "digraph behaviour {\n  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, labelloc=t, label=\""
        << escaped(g.neuron + ": " + std::to_string(g.examples) + " minimal activating examples") << "\"];\n"
        << "  node [fontname=\"Helvetica\", fontsize=12, shape=box, style=\"rounded,filled\", fillcolor=white];\n"
        << "  edge [color=\"#666666\"];\n";
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const auto& n = g.nodes[i];
        std::string label = n.token;
        for (const auto& alt : n.alternatives) label += " | " + alt;
        char value[64];
        dot << "  n" << i << " [label=\"" << escaped(label);
        if (n.role == BehaviourRole::Activating) {
            std::snprintf(value, sizeof value, "\\n%.3f", n.value);
            // White to orange (255, 140, 0) by the value, as the token colouring of the examples.
            const double a = std::min(1.0, std::abs(n.value) / best);
            char colour[16];
            std::snprintf(colour, sizeof colour, "#ff%02x%02x", int(255 - 115 * a), int(255 - 255 * a));
            dot << value << "\", fillcolor=\"" << colour << "\", penwidth=2";
        } else if (n.role == BehaviourRole::Any) {
            dot << "\", shape=ellipse, fillcolor=\"#eeeeee\", fontcolor=\"#555555\"";
        } else if (n.role == BehaviourRole::Untested) {
            dot << "\", style=\"rounded,dashed\", fontcolor=\"#555555\"";
        } else {
            std::snprintf(value, sizeof value, "\\ndrop %.0f%%", 100.0 * n.value);
            dot << value << "\"";
        }
        dot << ", tooltip=\"" << n.examples << " example(s)\"];\n";
    }
    for (size_t i = 0; i < g.nodes.size(); ++i)
        if (g.nodes[i].next >= 0)
            dot << "  n" << i << " -> n" << g.nodes[i].next << " [penwidth=" << std::min<int64_t>(1 + g.nodes[i].examples / 2, 4) << "];\n";
    dot << "}\n";
    return dot.str();
}

Status writeBehaviourGraph(const BehaviourGraph& g, const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (ext != ".svg" && ext != ".png" && ext != ".pdf" && ext != ".dot")
        return invalidInput("a behaviour graph is written as .svg, .png, .pdf or .dot, not '" + path + "'");
    const std::string dot = behaviourDot(g);
    if (ext == ".dot") return writeFileAtomic(path, dot);
    auto rendered = renderDot(dot, ext.substr(1));
    if (!rendered) return rendered.error();
    return writeFileAtomic(path, rendered.value());
}

}  // namespace cx::engine
