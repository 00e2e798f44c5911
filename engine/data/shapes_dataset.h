#pragma once
// The demo image set: procedurally drawn shapes (circle, arc, square, corner, line, cross) in
// random colours, sizes, positions and rotations over a noisy background. Deterministic from
// a seed. Images are 3 x size x size with values in 0..1 (no normalisation).
#include <cstdint>
#include <string>
#include <vector>

namespace cx::engine {

struct ShapesOptions {
    int64_t count = 1000;
    uint64_t seed = 1;
    int size = 64;
};

/// The class names, in label order.
const std::vector<std::string>& shapeClassNames();

}  // namespace cx::engine
