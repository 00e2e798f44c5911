#pragma once
// Circuit pruning (what `cx score` and `cx prune` run; sweeps: sweep_job.h): plain types in
// (pruning_types.h), scores and masks in memory or in files, plain reports out.
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/model/workspace.h"
#include "engine/pruning/pruning_types.h"

namespace cx::engine {

// On an open model: results stay in memory, files are written only by the write* calls.

/// Scores every relevant kernel for `spec` on the workspace's model. The images and the scores
/// of a spec asked before (same images file, target and settings) come from its memory.
Result<ScoresHandle> computeScores(Workspace& workspace, const ScoreSpec& spec, JobContext& job);
/// A scores file made for this model (refused otherwise, naming the mismatch).
Result<ScoresHandle> readScores(Workspace& workspace, const std::string& path);
/// Writes SCORES.safetensors atomically (what `cx score` writes).
Status writeScores(const Workspace& workspace, const Scores& scores, const std::string& path);
ScoreReport scoreReport(const Workspace& workspace, const Scores& scores);

struct PrunedCircuit {
    PruneReport report;
    MaskHandle mask;
};
/// Keeps the top kernels of `scores` (FORCE scores only at the size they were made for).
Result<PrunedCircuit> pruneCircuit(Workspace& workspace, const Scores& scores, const PruneSpec& spec, JobContext& job);
/// Any mask file made for this model (pruned circuits, learned or magnitude masks).
Result<MaskHandle> readMask(Workspace& workspace, const std::string& path);
/// Writes MASK.safetensors atomically (what `cx prune` writes for a pruned circuit).
Status writeMask(const Workspace& workspace, const Mask& mask, const std::string& path);

/// A direction file: coefficients over a layer's channels, separated by spaces, commas or lines.
Result<std::vector<double>> readDirection(const std::string& path);

// On files (what the CLI runs): one workspace per call.

/// Loads the model and images, scores every relevant kernel, writes SCORES.safetensors
/// (atomically; nothing is written on error or cancel).
Result<ScoreReport> runScore(const ScoreRequest& request, JobContext& job);

/// Reads a scores file made for this model (refused otherwise, naming the mismatch), keeps the
/// top kernels and writes MASK.safetensors. FORCE scores prune only at the sparsity and min-max
/// choice their schedule ran for (another size is another FORCE run: refused with the reason).
Result<PruneReport> runPrune(const PruneRequest& request, JobContext& job);

}  // namespace cx::engine
