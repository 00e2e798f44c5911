#pragma once
// Shared helpers for engine tests: paths of the committed test models, temporary folders.
#include <string>

namespace cx::test {

std::string modelPath(const std::string& name);  // tests/data/models/<name>.pt
std::string tempDir();                            // a fresh folder, removed at process exit

}  // namespace cx::test
