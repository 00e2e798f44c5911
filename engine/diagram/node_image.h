#pragma once
// A unit's picture: what it looks for, as circuit diagrams and the Units list show it.
#include <cstdint>
#include <string>
#include <vector>

namespace cx::engine {

/// A small picture of a unit (inside its vertex in Hamblin et al.'s extended circuit diagrams).
struct NodeImage {
    int width = 0, height = 0;
    std::vector<uint8_t> rgb;  // width x height x 3, row-major
    std::string kind;          // "kernel": a first layer's weights over the input channels (0 is mid-grey);
                               // "crop": the patch of the unit's top-activating image that reaches it;
                               // "image": a linear unit's top-activating image; "channel": an input colour;
                               // "visualisation": the receptive field of its feature visualisation
    double activation = 0.0;   // crop / image / visualisation: the unit's activation there
    int64_t imageIndex = -1;   // crop / image: which image of the set

    bool empty() const { return width <= 0 || height <= 0; }
};

}  // namespace cx::engine
