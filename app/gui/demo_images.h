#pragma once
// The demo shapes images that jobs score and train on when no data was chosen: written once per
// session into the working folder, on the worker thread, by the first job that needs them.
#include <filesystem>
#include <string>

#include "engine/demo/demo_run.h"

namespace cx::app {

inline constexpr int kDemoImageCount = 256;
inline constexpr uint64_t kDemoImageSeed = 5;

/// Writes the demo images to `path` unless they are there already (call from the job).
inline engine::Status ensureDemoImages(const std::string& path) {
    if (std::filesystem::exists(path)) return engine::Done{};
    return engine::writeShapesImages(path, kDemoImageCount, kDemoImageSeed);
}

}  // namespace cx::app
