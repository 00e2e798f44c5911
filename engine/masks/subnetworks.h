#pragma once
// Learned subnetworks as whole jobs on files (what `cx train-mask`, `cx magnitude`,
// `cx evaluate` and `cx overlap` run). A task is a safetensors file with `inputs` (the model's
// input, any dtype) and `targets` (int64: class indices N, or next tokens N x T with -1 where
// nothing is predicted); an image file with `images` and `labels` (as `cx demo images` writes)
// works as a task too. The names `addition` and `multiplication` are the demo transformer's
// tasks: masks train on their training problems and are evaluated on the held-out ones.
#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/masks/subnetworks_types.h"
#include "engine/model/workspace.h"

namespace cx::engine {

/// Trains masks and writes MASK.safetensors (with logits for resuming). Progress payloads are
/// the per-step loss, L0, fraction kept and temperature (MaskStep).
Result<SubnetworkReport> runTrainMask(const TrainMaskRequest& request, JobContext& job);

Result<SubnetworkReport> runMagnitude(const MagnitudeRequest& request);

/// Task accuracy of the model under the mask and ablation (mean over repeats for random ones).
Result<SubnetworkReport> runEvaluate(const EvaluateRequest& request);

/// Overlap rows by layer, block (attention heads, MLPs) or tensor.
Result<std::vector<OverlapLine>> runOverlap(const std::string& model, const std::string& maskA, const std::string& maskB,
                                            OverlapBy by = OverlapBy::Layer);

// The same on an open workspace (`request.model` is not read): the GUI's jobs on its open model.
Result<SubnetworkReport> runTrainMask(Workspace& workspace, const MaskTrainingSpec& spec, const std::string& out, JobContext& job);
Result<SubnetworkReport> runMagnitude(Workspace& workspace, const MagnitudeRequest& request);
Result<SubnetworkReport> runEvaluate(Workspace& workspace, const EvaluateRequest& request);
Result<std::vector<OverlapLine>> runOverlap(Workspace& workspace, const std::string& maskA, const std::string& maskB,
                                            OverlapBy by = OverlapBy::Layer);
/// Overlap of two masks in memory (a session's circuits, before anything is saved).
Result<std::vector<OverlapLine>> maskOverlap(const Workspace& workspace, const Mask& a, const Mask& b, OverlapBy by);

}  // namespace cx::engine
