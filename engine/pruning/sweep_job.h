#pragma once
// `cx sweep`: preservation curves over sparsities for several criteria.
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/model/workspace.h"
#include "engine/pruning/pruning_types.h"

namespace cx::engine {

/// Preservation curve over sparsities for several criteria; writes a CSV (atomically) with one
/// row per criterion x sparsity. Progress payloads are CurvePoints as they are computed.
Result<std::vector<CurvePoint>> runSweep(const SweepRequest& request, JobContext& job);
/// The same on an open model (`model` is not read; the CSV is written only when `out` is given).
Result<std::vector<CurvePoint>> runSweep(Workspace& workspace, const SweepRequest& request, JobContext& job);

/// A curve CSV that `cx sweep` (or `cx merge`) wrote, read back: parseCurveCsv on the file, the
/// file named in errors.
Result<std::vector<CurvePoint>> readCurveCsv(const std::string& path);

}  // namespace cx::engine
