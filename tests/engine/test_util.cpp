#include "test_util.h"

#include <cstdlib>
#include <filesystem>
#include <random>

namespace cx::test {

std::string modelPath(const std::string& name) { return std::string(CX_TEST_DATA) + "/models/" + name + ".pt"; }

std::string tempDir() {
    namespace fs = std::filesystem;
    static const fs::path root = [] {
        auto p = fs::temp_directory_path() / ("cx_test_" + std::to_string(std::random_device{}()));
        fs::create_directories(p);
        std::atexit([] { std::error_code ec; fs::remove_all(root, ec); });
        return p;
    }();
    static int counter = 0;
    auto dir = root / std::to_string(counter++);
    fs::create_directories(dir);
    return dir.string();
}

uint64_t seedFor(const std::string& testName) {
    uint64_t hash = 14695981039346656037ull;
    for (const unsigned char c : testName) hash = (hash ^ c) * 1099511628211ull;
    return hash;
}

}  // namespace cx::test
