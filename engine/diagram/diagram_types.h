#pragma once
// Extended circuit diagrams (Hamblin et al.): vertices are the units (filters, neurons, input
// channels) of a circuit, grouped by layer, edges are its kept kernels. Plain value types, so
// the GUI can draw a laid-out diagram without torch or Graphviz headers.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/diagram/node_image.h"

namespace cx::engine {

/// What a vertex stands for: one unit, or a whole layer or block drawn as one (the overview levels).
enum class NodeKind { Unit, Layer, Block };

struct DiagramNode {
    NodeKind kind = NodeKind::Unit;
    int layer = -1;       // layer index, or -1 for a model input channel (a group: its first layer)
    int64_t unit = 0;     // output unit (filter / neuron), or input channel
    std::string id;       // "features.conv2:7", "input:0"
    std::string rank;     // layer name or "input": one rank per layer ("" for a group: placed by its edges)
    std::string group;    // a group vertex: its block or layer name ("input" for the input channels)
    int64_t members = 1;  // a group vertex: the kept units it stands for
    int64_t innerKernels = 0;  // a group vertex: kept kernels between its own units (not drawn)
    double score = 0.0;   // summed saliency of the unit's kept incoming kernels
    bool dead = false;    // on no input-to-target path (a dead end)
    bool target = false;  // a target unit
    double x = 0, y = 0, width = 0, height = 0;  // points, after layout (centre; y grows upwards)
    NodeImage image;      // empty: the view draws a plain glyph
};

struct DiagramEdge {
    size_t from = 0, to = 0;   // node indices
    double saliency = 0.0;     // the kernel's score (summed when several kernels join the same pair)
    double signBalance = 0.0;  // (sum of positive - |sum of negative| weights) / sum |w|, in [-1, 1]
    int64_t kernels = 1;       // kernels joined in this edge (a flattened conv map feeding a linear
                               // layer, or every kernel between two groups at the overview levels)
    double weightMass = 0.0;   // sum of |w| over its kernels (how sign balances combine)
    bool dead = false;
    std::vector<double> points;  // Bezier control points x0 y0 x1 y1 ... after layout
};

/// Levels of detail (diagram_detail.h): one vertex per block, per layer, per unit with its top
/// edges, or per unit with every kernel.
enum class DetailLevel { Block, Layer, Unit, Kernel };

struct DetailSpec {
    DetailLevel level = DetailLevel::Kernel;       // of every part not in `expanded`
    std::map<std::string, DetailLevel> expanded;   // a block, layer or unit id -> its own level
    int64_t topEdges = 4;   // per unit at the unit level and in focus views (<= 0: every edge)
    std::string focus;      // a unit id ("layer3.0.conv2:17"): only its upstream and downstream cone
    int depth = 2;          // the focus cone's reach, in edges each way
    bool allEdges = false;  // the focus cone with every edge, not the top ones per unit
};

struct CircuitDiagram {
    std::string model, mask;
    std::vector<std::string> layers;  // ranks in order, "input" first
    std::vector<std::string> layerNames, layerBlocks;  // every model layer's name and block (layerBlocks), by layer index
    std::vector<DiagramNode> nodes;
    std::vector<DiagramEdge> edges;
    std::vector<std::string> notes;   // what could not be drawn (e.g. channel-mixing inputs)
    int64_t hiddenEdges = 0;          // edges of this view left out (top edges per unit); 0 when all are drawn
    DetailSpec detail;                // the level of detail this view shows
    std::shared_ptr<const CircuitDiagram> whole;  // the whole circuit, every kept kernel (null: this is it)
    double width = 0, height = 0;     // bounding box after layout (points)
    bool laidOut = false;
};

struct DiagramOptions {
    bool showDeadEnds = false;  // keep dead-end kernels (drawn greyed) instead of dropping them
    bool leftToRight = true;    // ranks left to right; otherwise bottom to top
    int64_t maxEdges = 20000;   // larger views are refused (or drawn as an overview) rather than hang the layout
    bool pictures = false;      // exports draw each vertex's picture (Graphviz image nodes)
};

}  // namespace cx::engine
