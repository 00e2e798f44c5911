#pragma once
// Numbers read from text (files' metadata, command-line values) with their range checked: the
// whole text must be the number, it must fit, and a real must be finite. Plain C++.
#include <cstdint>
#include <optional>
#include <string>

namespace cx::engine {

/// A decimal integer that fits in int64, or nullopt.
std::optional<int64_t> parseInt64(const std::string& text);
/// A finite real number (no nan, inf or overflow), or nullopt.
std::optional<double> parseFinite(const std::string& text);

}  // namespace cx::engine
