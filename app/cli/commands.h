#pragma once
// The `cx` subcommands. Each returns the process exit code: 0 success, 1 failure, 2 bad input.
#include <string>
#include <vector>

#include "app/resource_dir.h"
#include "engine/core/error.h"
#include "engine/core/job.h"

namespace cx::app {

int runInspect(const std::vector<std::string>& args);
int runDemo(const std::vector<std::string>& args);
int runScoreCommand(const std::vector<std::string>& args);
int runPruneCommand(const std::vector<std::string>& args);
int runSweepCommand(const std::vector<std::string>& args);
int runIouCommand(const std::vector<std::string>& args);
int runTrainMaskCommand(const std::vector<std::string>& args);
int runMagnitudeCommand(const std::vector<std::string>& args);
int runEvaluateCommand(const std::vector<std::string>& args);
int runOverlapCommand(const std::vector<std::string>& args);
int runDiagramCommand(const std::vector<std::string>& args);
int runMergeCommand(const std::vector<std::string>& args);
int runVisualizeCommand(const std::vector<std::string>& args);
int runTopExamplesCommand(const std::vector<std::string>& args);
int runProbeCommand(const std::vector<std::string>& args);
int runPolysemanticCommand(const std::vector<std::string>& args);
int runTokenizeCommand(const std::vector<std::string>& args);

class Args;
/// `cx demo train-transformer` and `cx demo subnetworks` (cmd_demo_transformer.cpp).
int demoTrainTransformer(const Args& args);
int demoTrainLanguageModel(const Args& args, bool masked);
int runTokenTopExamples(const Args& args);
int runMaeCommand(const std::vector<std::string>& argv);
int runLocalSearchCommand(const std::vector<std::string>& argv);
int runNeuronCircuitCommand(const std::vector<std::string>& argv);
int runEquivalenceCommand(const std::vector<std::string>& argv);
int demoSubnetworks(const Args& args);
int demoPopulation(const Args& args);

/// Shows a job's progress on stderr when it is a terminal.
void attachTerminalProgress(engine::JobContext& job);

/// Prints `error: message` on stderr and returns 2 for bad input, 1 otherwise.
int reportError(const engine::Error& error);
int usageError(const std::string& message);

/// An IoU as printed: four decimals, or "undefined" (an empty union, a layer one mask lacks).
std::string iouText(double iou);

}  // namespace cx::app
