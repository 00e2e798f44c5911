#pragma once
// Vertex pictures in Graphviz exports: each node's picture as a PNG file that an `image`
// attribute names, and SVG output made self-contained by holding those PNGs inline. Plain C++.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/diagram/diagram_types.h"

namespace cx::engine {

/// A picture as PNG bytes (8-bit RGB).
std::vector<uint8_t> encodePng(const NodeImage& image);

/// Writes every node picture to `dir` (created) as node<i>.png; returns node index -> path.
Result<std::map<size_t, std::string>> writeNodePictures(const CircuitDiagram& diagram, const std::string& dir);

/// `svg` with each image reference to one of `files` replaced by the file's bytes as a
/// data:image/png;base64 URI, so that the SVG needs no other file.
std::string inlineSvgImages(const std::string& svg, const std::map<size_t, std::string>& files);

}  // namespace cx::engine
