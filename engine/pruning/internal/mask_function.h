#pragma once
// What a mask computes, one definition for everything that runs a model under a mask (the
// activation scatter, feature visualisations): the parameters it replaces and their tensors.
#include <string>

#include "engine/core/error.h"
#include "engine/model/target.h"
#include "engine/model/workspace.h"
#include "engine/pruning/internal/circuit.h"
#include "engine/pruning/internal/circuit_files.h"

namespace cx::engine {

/// A pruned circuit (cx prune, Find Circuit: its file records the effective count and the bias
/// mode) runs as its sweep ran it (circuitOverrides), for `target`, or for the target its
/// metadata names when `target` is null. Any other mask runs with its own scheme (maskedWeights).
Result<Overrides> maskOverrides(const Model& model, const LoadedMasks& masks, const TargetSpec* target,
                                const std::string& device);

/// What a circuit handle (its own target) replaces, or nothing for the model when it is null:
/// for the tools that run either (visualisations, dataset examples, probe surfaces).
Result<Overrides> overridesOf(const Model& model, const MaskHandle& mask, const std::string& device);

}  // namespace cx::engine
