#pragma once
// A neuron's behaviour graph, in the manner of Neuron2Graph (Foote et al., the seed's follow-up):
// from the local searches around its minimal activating examples, the tokens it fires on and the
// context each needs, merged into a trie that ends at the activating tokens. A context token that
// most substitutes break is kept; one that substitutes do not break becomes "*" (any token); a
// stop word the search did not vary is kept but drawn dashed (untested). Context before the
// earliest kept token is dropped. Tokens after the anchor are not drawn (a causal model's neuron
// cannot see them). Drawn with Graphviz. Plain C++: the GUI includes it.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/text/local_search.h"

namespace cx::engine {

enum class BehaviourRole { Activating, Needed, Any, Untested };

struct BehaviourNode {
    std::string token;                      // "*" for Any
    std::vector<std::string> alternatives;  // substitutes that kept the activation (positives)
    BehaviourRole role = BehaviourRole::Needed;
    double value = 0.0;                     // Activating: the largest MAE value; others: the mean drop when replaced
    int64_t examples = 0;                   // MAEs through this node
    int64_t next = -1;                      // the node after it (towards the activating token); -1 for Activating
};

struct BehaviourGraph {
    std::string neuron;
    std::vector<BehaviourNode> nodes;
    int64_t examples = 0;
};

/// The graph of `searches` (one per MAE) of `neuron` ("LAYER:UNIT"), their tokens spelled by
/// `tokenizer`.
BehaviourGraph buildBehaviourGraph(const std::string& neuron, const Tokenizer& tokenizer,
                                   const std::vector<LocalSearchResult>& searches);

/// Graphviz DOT text: left to right, context before the token it leads to.
std::string behaviourDot(const BehaviourGraph& graph);

/// Writes the graph as SVG, PNG, PDF or DOT, by the file's extension; atomically.
Status writeBehaviourGraph(const BehaviourGraph& graph, const std::string& path);

}  // namespace cx::engine
