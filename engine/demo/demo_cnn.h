#pragma once
// The built-in demo model: a small AlexNet-style CNN (5 conv layers, 2 linear) trained on the
// procedural shapes set and saved as TorchScript. Input: N x 3 x 64 x 64, values 0..1.
#include <cstdint>
#include <string>

#include "engine/core/error.h"
#include "engine/core/job.h"

namespace cx::engine {

struct DemoTrainOptions {
    std::string out;           // TorchScript file to write
    int epochs = 10;
    int64_t trainImages = 20000;
    int64_t testImages = 3000;
    int64_t batchSize = 64;
    double learningRate = 1e-3;
    uint64_t seed = 7;
};

struct DemoTrainReport {
    double testAccuracy = 0.0;   // held-out images drawn from another seed
    double trainLoss = 0.0;      // mean over the last epoch
    int64_t testImages = 0;
    double seconds = 0.0;
};

/// Builds, trains and saves the demo CNN. Progress per batch ("train", fraction); cancel
/// between batches (Cancelled, nothing written). The model file is written atomically.
Result<DemoTrainReport> trainDemoCnn(const DemoTrainOptions& options, JobContext& job);

/// Accuracy of a classifier model on `count` shapes drawn from `seed`.
Result<double> shapesAccuracy(const std::string& modelPath, int64_t count, uint64_t seed);

}  // namespace cx::engine
