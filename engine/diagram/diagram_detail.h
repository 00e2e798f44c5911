#pragma once
// Levels of detail of a circuit diagram: the whole circuit (every kept kernel, as buildDiagram
// makes it) drawn as an overview of blocks or layers, with some parts expanded to their units
// or kernels, or as the focus view of one unit's cone. Plain value types, no torch.
#include <cstdint>
#include <string>

#include "engine/core/error.h"
#include "engine/diagram/diagram_types.h"

namespace cx::engine {

const char* detailLevelName(DetailLevel level);
Result<DetailLevel> parseDetailLevel(const std::string& name);  // block, layer, unit, kernel
/// A stable text of the spec, for caching laid-out views per expansion state.
std::string detailKey(const DetailSpec& spec);

/// The view of `full` (a buildDiagram result, not laid out) at `spec`: group vertices join their
/// units' edges (kernels, saliency and weight mass summed; sign balance weighted by weight mass;
/// kernels inside a group counted, not drawn); unit-level units keep their top edges in and out
/// by saliency (hiddenEdges counts the rest). A view of more than options.maxEdges edges, or a
/// focus on a unit the circuit lacks, is an error naming what to do instead.
Result<CircuitDiagram> diagramAtDetail(const CircuitDiagram& full, const DetailSpec& spec, const DiagramOptions& options);

/// What a first look draws: `spec`, or - when it is not a focus view and would draw more than
/// options.maxEdges - the block overview, with a note saying so.
Result<CircuitDiagram> drawableDiagram(const CircuitDiagram& full, const DetailSpec& spec, const DiagramOptions& options);

/// The number of edges the focus view of `spec` would draw with every edge (the "all edges" switch).
Result<int64_t> focusEdgeCount(const CircuitDiagram& full, const DetailSpec& spec);

/// The spec of `view` with `part` (a block, layer or unit id) drawn at `level`: what expanding or
/// collapsing it asks for. Entries for parts inside `part` go (collapsing a block collapses its
/// layers and units too); a focus is left.
DetailSpec withPartAt(const CircuitDiagram& view, const std::string& part, DetailLevel level);
/// The spec of `view` focused on one unit (its expansions stay for when the focus is left).
DetailSpec focusedOn(const CircuitDiagram& view, const std::string& unitId);

}  // namespace cx::engine
