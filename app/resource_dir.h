#pragma once
#include <string>

namespace cx::app {

/// The resources folder (demo model and metadata): $CX_RESOURCES, the installed share
/// folder, or the source tree the binary was built from.
std::string resourceDir();
/// The shipped demo CNN (resources/demo/shapes_cnn.pt).
std::string demoModelPath();
/// The shipped demo transformer (two-digit addition and multiplication mod 100).
std::string demoTransformerPath();
/// The shipped text demo: its causal LM, masked LM and their shared tokenizer.json.
std::string demoLanguageModelPath();
std::string demoMaskedModelPath();
std::string demoTokenizerPath();

}  // namespace cx::app
