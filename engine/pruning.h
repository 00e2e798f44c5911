#pragma once
// Circuit pruning as whole jobs on files (what `cx score`, `cx prune` and `cx sweep` run):
// plain types in (pruning_types.h), files and plain reports out.
#include "engine/error.h"
#include "engine/job.h"
#include "engine/pruning_types.h"

namespace cx::engine {

/// Loads the model and images, scores every relevant kernel, writes SCORES.safetensors
/// (atomically; nothing is written on error or cancel).
Result<ScoreReport> runScore(const ScoreRequest& request, JobContext& job);

/// Reads a scores file made for this model (refused otherwise, naming the mismatch), keeps the
/// top kernels and writes MASK.safetensors. FORCE scores prune only at the sparsity and min-max
/// choice their schedule ran for (another size is another FORCE run: refused with the reason).
Result<PruneReport> runPrune(const PruneRequest& request, JobContext& job);

/// Preservation curve over sparsities for several criteria; writes a CSV (atomically) with one
/// row per criterion x sparsity. Progress payloads are CurvePoints as they are computed.
Result<std::vector<CurvePoint>> runSweep(const SweepRequest& request, JobContext& job);

/// Per-layer IoU of the kept units of two mask files of the same model and granularity.
Result<std::vector<LayerIoU>> maskIoU(const std::string& maskA, const std::string& maskB);

}  // namespace cx::engine
