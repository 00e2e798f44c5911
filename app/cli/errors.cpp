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

}  // namespace cx::app
