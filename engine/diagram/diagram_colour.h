#pragma once
// Colours of circuit diagram edges (plain C++: the widgets draw with them too).
#include <string>

namespace cx::engine {

/// Diverging colour for a sign balance in [-1, 1]: blue (negative) - light grey (0) - red.
std::string signColour(double balance);

}  // namespace cx::engine
