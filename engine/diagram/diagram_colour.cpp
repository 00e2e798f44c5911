// Part of cx_engine_types: the diagram's colour scale, shared by the engine's Graphviz export and
// the GUI's diagram view.
#include "engine/diagram/diagram_colour.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cx::engine {

std::string signColour(double balance) {
    const double t = std::clamp(balance, -1.0, 1.0);
    // Blue #2166ac (-1), grey #c8c8c8 (0), red #b2182b (+1).
    const int neutral[3] = {200, 200, 200}, blue[3] = {33, 102, 172}, red[3] = {178, 24, 43};
    const int* end = t < 0 ? blue : red;
    const double a = std::abs(t);
    char out[8];
    std::snprintf(out, sizeof out, "#%02x%02x%02x", int(neutral[0] + a * (end[0] - neutral[0])),
                  int(neutral[1] + a * (end[1] - neutral[1])), int(neutral[2] + a * (end[2] - neutral[2])));
    return out;
}

}  // namespace cx::engine
