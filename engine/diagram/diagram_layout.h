#pragma once
// Laying out and exporting extended circuit diagrams with Graphviz (the library, in-process).
#include <map>
#include <string>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/diagram/diagram_types.h"

namespace cx::engine {

/// Graphviz `dot` layout (the library, not a subprocess). Every Graphviz call in the process is
/// serialised. Cancel is honoured before the layout starts (dot itself cannot be interrupted).
Status layoutDiagram(CircuitDiagram& diagram, const DiagramOptions& options, JobContext& job);

/// DOT text of the diagram: ranks, edge widths from saliency, colours from sign balance;
/// nodes in `pictures` (node index -> PNG path) drawn as that image with the unit below.
std::string diagramDot(const CircuitDiagram& diagram, const DiagramOptions& options,
                       const std::map<size_t, std::string>& pictures = {});

/// Any DOT text laid out by `engine` and rendered by Graphviz in `format` (svg, png, pdf, ...),
/// under the process-wide Graphviz lock.
Result<std::string> renderDot(const std::string& dot, const std::string& format, const char* engine = "dot");

/// Writes SVG, PNG (at `dpi`), PDF or DOT, chosen by the file's extension; atomically. With
/// options.pictures, vertices show their pictures: SVG holds them inline, PNG and PDF drawn in,
/// DOT next to its PNG files (FILE_pictures/node<i>.png).
Status exportDiagram(const CircuitDiagram& diagram, const DiagramOptions& options, const std::string& path, double dpi = 96);

}  // namespace cx::engine
