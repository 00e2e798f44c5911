#pragma once
// Extended circuit diagrams (Hamblin et al.): vertices are the units (filters, neurons, input
// channels) of a circuit, grouped by layer, edges are its kept kernels. Plain value types, so
// the GUI can draw a laid-out diagram without torch or Graphviz headers.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/diagram/node_image.h"

namespace cx::engine {

struct DiagramNode {
    int layer = -1;       // layer index, or -1 for a model input channel
    int64_t unit = 0;     // output unit (filter / neuron), or input channel
    std::string id;       // "features.conv2:7", "input:0"
    std::string rank;     // layer name or "input": one rank per layer
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
    int64_t kernels = 1;       // kernels joined in this edge (a flattened conv map feeding a linear layer)
    bool dead = false;
    std::vector<double> points;  // Bezier control points x0 y0 x1 y1 ... after layout
};

struct CircuitDiagram {
    std::string model, mask;
    std::vector<std::string> layers;  // ranks in order, "input" first
    std::vector<DiagramNode> nodes;
    std::vector<DiagramEdge> edges;
    std::vector<std::string> notes;   // what could not be drawn (e.g. channel-mixing inputs)
    double width = 0, height = 0;     // bounding box after layout (points)
    bool laidOut = false;
};

struct DiagramOptions {
    bool showDeadEnds = false;  // keep dead-end kernels (drawn greyed) instead of dropping them
    bool leftToRight = true;    // ranks left to right; otherwise bottom to top
    int64_t maxEdges = 20000;   // refuse larger circuits (clear error) rather than hang the layout
};

}  // namespace cx::engine
