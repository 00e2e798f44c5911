#pragma once
// The circuit a command runs in: --mask M, or --scores S --sparsity K (pruned as cx prune does),
// or neither (the model). Shared by the commands that look at units in a circuit.
#include <string>

#include "app/cli/args.h"
#include "engine/core/job.h"
#include "engine/model/workspace.h"

namespace cx::app {

/// The options' usage problem (both given, --scores without --sparsity), empty when none.
std::string circuitOptionProblem(const Args& args);

/// Reads or prunes the circuit into `mask` (null for the model); 0, or the exit code after
/// reporting the error.
int circuitFromOptions(engine::Workspace& workspace, const Args& args, engine::JobContext& job, engine::MaskHandle& mask);

}  // namespace cx::app
