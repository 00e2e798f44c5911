#include <cstdlib>
#include <filesystem>
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

std::string resourceDir() {
    if (const char* env = std::getenv("CX_RESOURCES")) return env;
    for (const char* dir : {CX_INSTALLED_RESOURCES, CX_SOURCE_RESOURCES})
        if (std::filesystem::exists(std::filesystem::path(dir) / "demo")) return dir;
    return CX_SOURCE_RESOURCES;
}

}  // namespace cx::app
