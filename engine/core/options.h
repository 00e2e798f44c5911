#pragma once
// The engine's choices as types: one enum per option, with one name table each. The names are
// what the command line, project files and file metadata spell; strings are parsed only at
// those edges (cx's arguments, project files, metadata), never inside the engine. Plain C++:
// the widgets use these types too.
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace cx::engine {

/// How kernels are scored (DESIGN.md section 4).
enum class Criterion { ActGrad, Snip, Force, Magnitude, Random };
/// What one unit of a mask is. Filter is a convolution's output channel or a linear layer's
/// neuron ("neuron" parses to it); Head is an attention head's slices.
enum class Granularity { Kernel, Filter, Weight, Head };
/// A pruned circuit's biases: kept as they are (Masked), or removed with their unit's last
/// kernel (Pruned).
enum class BiasMode { Masked, Pruned };
/// Learned masks: continuous sparsification ("cs") or hard concrete ("hc").
enum class MaskMethod { ContinuousSparsification, HardConcrete };
enum class Ablation {
    None,            // the subnetwork alone (weights outside it are zero)
    ZeroAblate,      // the model without the subnetwork
    RandomAblate,    // the subnetwork's weights replaced by a fresh random initialisation
    RandomlySampled  // the model without a random set of units of the same size, drawn from the complement
};
/// How a preservation curve's Pearson r pairs activations: every value, or per image.
enum class PearsonMode { Flattened, ImageMean, ImageMax };
/// Rows of a mask overlap: per layer, per block (attention heads, MLPs) or per tensor.
enum class OverlapBy { Layer, Block, Tensor };

const char* nameOf(Criterion value);
const char* nameOf(Granularity value);
const char* nameOf(BiasMode value);
const char* nameOf(MaskMethod value);
const char* nameOf(Ablation value);
const char* nameOf(PearsonMode value);
const char* nameOf(OverlapBy value);

/// Each InvalidInput names the text and the choices.
Result<Criterion> parseCriterion(const std::string& text);
Result<Granularity> parseGranularity(const std::string& text);
Result<BiasMode> parseBiasMode(const std::string& text);
Result<MaskMethod> parseMaskMethod(const std::string& text);
Result<Ablation> parseAblation(const std::string& text);
Result<PearsonMode> parsePearsonMode(const std::string& text);
Result<OverlapBy> parseOverlapBy(const std::string& text);

/// Every criterion, in the order curves and menus list them.
const std::vector<Criterion>& allCriteria();

}  // namespace cx::engine
