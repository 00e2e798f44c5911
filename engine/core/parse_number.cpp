#include "engine/core/parse_number.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace cx::engine {

std::optional<int64_t> parseInt64(const std::string& text) {
    if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') return std::nullopt;
    return int64_t(v);
}

std::optional<double> parseFinite(const std::string& text) {
    if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (*end != '\0' || !std::isfinite(v) || (errno == ERANGE && v != 0.0)) return std::nullopt;
    return v;
}

}  // namespace cx::engine
