#pragma once
// A layered layout for circuit views too large for Graphviz's dot: dot's crossing minimisation
// grows far faster than the graph (a 3,800-unit, 19,000-edge expansion of a ResNet-50 block takes
// 51 s, 44 of them in mincross; a 3,000-edge focus cone 2.5 s in network simplex). This one puts
// every layer's units in one rank as dot does (ranks by longest path, layers in model order),
// orders each rank by two barycentre sweeps and draws edges as one cubic Bezier each: linear in
// the edges. Graphviz still renders the exports (its nop2 engine keeps these positions).
#include "engine/diagram/diagram_types.h"

namespace cx::engine {

/// Views up to this size are laid out by dot; larger ones by layeredLayout.
constexpr size_t kDotMaxEdges = 2000;
constexpr size_t kDotMaxNodes = 1500;
bool needsLayeredLayout(const CircuitDiagram& diagram);

/// Sets every node's position and size, every edge's control points and the bounding box (points,
/// y up, like dot's output); `leftToRight` false puts ranks bottom to top.
void layeredLayout(CircuitDiagram& diagram, bool leftToRight);

/// A group vertex's box width for its label, as both layouts size it (points).
double groupVertexWidth(const DiagramNode& node);

}  // namespace cx::engine
