#pragma once
// The blocks of a model - a residual block, an inception module, a transformer block - found
// from its layers' module paths, for the overview level of circuit diagrams.
#include <string>
#include <vector>

namespace cx::engine {

/// The block of each layer (same order as `layers`, the layers' dotted module paths): the
/// outermost module on the layer's path that is one of a numbered series ("layer1.0", "Mixed_5b",
/// "encoder_layer_3", "block2-1": a pure index, or a name that differs from a sibling's only in its
/// numbers and the letters after them) and holds at least two of the layers; from there one level down while every child
/// holding layers is a plain index holding two or more (a stage "layer1" of blocks "layer1.0",
/// "layer1.1"). A layer on no such path is a block of its own (its own name).
std::vector<std::string> layerBlocks(const std::vector<std::string>& layers);

}  // namespace cx::engine
