#pragma once
// Shared helpers for engine tests: paths of the committed test models, temporary folders, seeds.
#include <cstdint>
#include <string>

namespace cx::test {

std::string modelPath(const std::string& name);  // tests/data/models/<name>.pt
std::string tempDir();                            // a fresh folder, removed at process exit
/// The seed torch's generator gets before the test named SUITE.NAME runs (seeded_main.cpp):
/// FNV-1a of the name, the same on every platform and in every order.
uint64_t seedFor(const std::string& testName);

}  // namespace cx::test
