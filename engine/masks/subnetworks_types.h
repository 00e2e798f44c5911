#pragma once
// The value types of learned subnetworks (requests, reports, training steps, overlap lines),
// without their entry points: what widgets may include. Plain C++, no torch.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/options.h"

namespace cx::engine {

/// One mask training, as the Mask Training tab and `cx train-mask` ask for it.
struct MaskTrainingSpec {
    std::string task;                  // a task file, an image file, or a built-in task name
    MaskMethod method = MaskMethod::ContinuousSparsification;
    Granularity granularity = Granularity::Weight;
    std::string layers = "*";          // comma-separated names or globs ("features.*")
    std::string resume;                // a mask file with logits to continue from
    std::string preserve;              // "LAYER:UNIT": feature preservation instead of the task loss
    bool maskBias = false;
    bool temperaturePerStep = false;   // cs: anneal the temperature every step instead of every epoch
    int64_t heads = 0;                 // head granularity on layers without a detected num_heads
    double targetKept = 0.0;           // > 0: adapt lambda to keep this fraction of units
    // NeuroSurgeon's recipe (see MaskTrainOptions); lambda weighs L0 against the batch-mean loss.
    double lambda = 1e-8, learningRate = 0.05, initValue = 0.0, finalTemperature = 200;
    int epochs = 90;
    int64_t batchSize = 64;
    uint64_t seed = 0;
    double holdout = 0.2;              // task files: this seeded fraction is held out and measured
};

/// `cx train-mask`: a MaskTrainingSpec on a model file, the masks written to `out`.
struct TrainMaskRequest : MaskTrainingSpec {
    std::string model, out;
};

struct SubnetworkReport {
    int64_t kept = 0, total = 0;
    double accuracy = 0.0, baseAccuracy = 0.0;  // on the task
    double spread = 0.0;                        // randomly_sampled: standard deviation over repeats
    double preservation = -1.0;                 // feature preservation: |Pearson r| of the target (-1: task)
    int repeats = 1;
    bool cancelled = false;                     // training stopped early; the last masks were written
    std::string measuredOn;                     // what the accuracy / preservation was measured on
    std::string warning;                        // a result to read with care (an empty mask, training data)
};

/// One training step's numbers, streamed as progress payload.
struct MaskStep {
    int epoch = 0;
    int64_t step = 0;
    double loss = 0, l0 = 0, fractionKept = 0, temperature = 1;
    double lambda = 0;  // the current L0 weight (changes in target-kept mode)
};

struct MagnitudeRequest {
    std::string model, out, layers = "*";
    Granularity granularity = Granularity::Weight;
    double keep = 0.5;   // fraction of units kept
    bool global = false; // rank over all layers instead of per tensor
};
struct EvaluateRequest {
    std::string model, mask, task;
    Ablation ablation = Ablation::None;
    int repeats = 10;  // randomly_sampled
    uint64_t seed = 0;
};
struct OverlapLine {
    std::string layer;
    int64_t onlyA = 0, both = 0, onlyB = 0, neither = 0;
    double iou = 0.0;       // NaN: undefined (an empty union, or a layer one mask lacks)
    std::string absentIn;   // "A" or "B": the layer is not in that mask
};

}  // namespace cx::engine
