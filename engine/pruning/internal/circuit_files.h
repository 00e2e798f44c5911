#pragma once
// Scores and masks as safetensors (DESIGN.md section 6): `score/<param>` float32 and
// `mask/<param>` uint8 on the kernel grid (O x I_per_group; for a transposed-weight linear the
// weight's own I x O layout), `__metadata__` with format cx-mask/1 and the provenance.
#include <map>
#include <string>

#include "engine/pruning/internal/circuit.h"
#include "engine/pruning/internal/scoring.h"

namespace cx::engine {

using Metadata = std::map<std::string, std::string>;

/// A direction target's coefficients as the files keep them ("0.5,-1,..."); empty when malformed.
std::vector<double> splitDirection(const std::string& text);

/// The metadata a scores file of `scores` holds: `metadata` with the format, granularity,
/// model hash, counts and (for a direction target) its coefficients added.
Metadata scoresMetadata(const Model& model, const UnitScores& scores, Metadata metadata, const TargetSpec* target);

/// `target` (when given) records a direction target's coefficients, so the file can be pruned.
Status writeScoresFile(const std::string& path, const Model& model, const UnitScores& scores, Metadata metadata,
                       const TargetSpec* target = nullptr);

/// A population's scores in one file (format cx-population/1): `score/<param>` float32 with a
/// leading unit axis (U x the single-unit file's layout; zeros where a layer is not relevant to a
/// unit), metadata `units` (the unit of each row, comma-separated) and `relevant` per unit.
Status writePopulationScoresFile(const std::string& path, const Model& model, const std::vector<int64_t>& units,
                                 const std::vector<UnitScores>& scores, Metadata metadata);

/// Scores read back for `model`: relevance is recomputed from the target in the metadata.
struct LoadedScores {
    UnitScores scores;
    TargetSpec target;
    Metadata metadata;
};
Result<LoadedScores> readScoresFile(const std::string& path, const Model& model);

Status writeMaskFile(const std::string& path, const Model& model, const Circuit& circuit, const UnitScores& scores,
                     Metadata metadata);

/// Any unit masks (pruned circuits, learned or magnitude masks): `mask/<param>`, optional
/// `logit/<param>` (learned masks, for resuming), format, granularity and model hash.
Status writeUnitMasks(const std::string& path, const Model& model, Granularity granularity,
                      const std::map<int, torch::Tensor>& masks, const std::map<int, torch::Tensor>& logits,
                      Metadata metadata);

struct LoadedMasks {
    Granularity granularity = Granularity::Kernel;
    std::map<int, torch::Tensor> masks;   // layer -> bool unit grid (output-major)
    std::map<int, torch::Tensor> logits;  // when the file has them
    std::map<int, torch::Tensor> scores;  // pruned circuits: the saliency each unit was ranked by
    Metadata metadata;
};
/// Reads a mask file made for `model`; refuses another model's file or shapes, naming which.
Result<LoadedMasks> readUnitMasks(const std::string& path, const Model& model);

/// A pruned circuit as its mask file holds it (what readUnitMasks gives back from the file).
LoadedMasks circuitMasks(const Model& model, const Circuit& circuit, const UnitScores& scores, Metadata metadata);

/// Writes masks (and their scores and logits) with their metadata as they are.
Status writeMasks(const std::string& path, const Model& model, const LoadedMasks& masks);

}  // namespace cx::engine
