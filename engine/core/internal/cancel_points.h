#pragma once
// Cancel points in a forward graph: the only unbounded work a TorchScript forward can do is a
// loop (the language has no recursion), so one check at the head of every loop body makes any
// forward interruptible between iterations. A single long operation (a huge convolution) still
// runs to its end.
#include <memory>

#include <torch/csrc/jit/ir/ir.h>

namespace cx::engine {

/// Puts a cx::cancel_point() call at the head of every loop body in `graph` (nested ones too).
/// The call throws when this thread's job has been interrupted (engine/core/job.h); guarded() then
/// reports the job as cancelled. Returns the number of points added.
int addCancelPoints(torch::jit::Graph& graph);

}  // namespace cx::engine
