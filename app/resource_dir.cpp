#include "app/resource_dir.h"

#include <cstdlib>
#include <filesystem>

namespace cx::app {

std::string resourceDir() {
    if (const char* env = std::getenv("CX_RESOURCES")) return env;
    for (const char* dir : {CX_INSTALLED_RESOURCES, CX_SOURCE_RESOURCES})
        if (std::filesystem::exists(std::filesystem::path(dir) / "demo")) return dir;
    return CX_SOURCE_RESOURCES;
}

std::string demoModelPath() { return (std::filesystem::path(resourceDir()) / "demo" / "shapes_cnn.pt").string(); }

std::string demoTransformerPath() {
    return (std::filesystem::path(resourceDir()) / "demo" / "arithmetic_gpt.pt").string();
}

std::string demoLanguageModelPath() { return (std::filesystem::path(resourceDir()) / "demo" / "fortunes_lm.pt").string(); }

std::string demoMaskedModelPath() { return (std::filesystem::path(resourceDir()) / "demo" / "fortunes_mlm.pt").string(); }

std::string demoTokenizerPath() { return (std::filesystem::path(resourceDir()) / "demo" / "tokenizer.json").string(); }

}  // namespace cx::app
