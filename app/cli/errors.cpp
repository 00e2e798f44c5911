#include <cmath>
#include <cstdio>
#include <iostream>

#include "app/cli/commands.h"

namespace cx::app {

int reportError(const engine::Error& error) {
    std::cerr << "error: " << error.message << "\n";
    return error.code == engine::ErrorCode::InvalidInput ? 2 : 1;
}

int usageError(const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return 2;
}

std::string iouText(double iou) {
    if (std::isnan(iou)) return "undefined";
    char text[32];
    std::snprintf(text, sizeof text, "%.4f", iou);
    return text;
}

}  // namespace cx::app
