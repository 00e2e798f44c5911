// `cx`: the Circuit Explorer engine on the command line.
#include <cstring>
#include <exception>
#include <iostream>
#include <new>

#include "app/cli/commands.h"

namespace {

const char* kUsage = R"(usage: cx <command> [options]

Find and inspect circuits in trained PyTorch (TorchScript) models.

commands:
  inspect MODEL [--json]     layers (conv / linear) and the channel dependency graph
  score MODEL ...            kernel saliency for a target feature (ActGrad, SNIP, magnitude, random)
  prune MODEL ...            the circuit at a sparsity: exact top-k, dead ends removed
  sweep MODEL ...            feature preservation curves over sparsities for several criteria
  iou MASK_A MASK_B          per-layer IoU of two circuits
  diagram MODEL ...          the extended circuit diagram of a mask (SVG, PNG, PDF, DOT)
  train-mask MODEL ...       learn a subnetwork mask (continuous sparsification, hard concrete)
  magnitude MODEL ...        magnitude-pruning baseline mask
  evaluate MODEL ...         task accuracy under a mask and an ablation
  overlap MODEL ...          overlap of two masks per layer, tensor, attention head or MLP
  demo train-cnn             train the built-in demo CNN on the procedural shapes set
  demo images                write procedural shapes images (safetensors or PNG folder)
  demo run --out DIR         the headless demo: inspect the demo model, sample images, accuracy
  demo train-transformer     train the built-in demo transformer (addition, multiplication)
  demo subnetworks --out DIR addition and multiplication subnetworks of the demo transformer

Run `cx <command> --help` for a command's options.
Exit codes: 0 success, 1 failure, 2 bad input (one `error: ...` line on stderr).
)";

int runCommand(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        std::cout << kUsage;
        return argc < 2 ? 2 : 0;
    }
    const std::string command = argv[1];
    const std::vector<std::string> rest(argv + 2, argv + argc);
    if (command == "--version" || command == "version") {
        std::cout << "cx " << CX_VERSION << "\n";
        return 0;
    }
    if (command == "inspect") return cx::app::runInspect(rest);
    if (command == "demo") return cx::app::runDemo(rest);
    if (command == "score") return cx::app::runScoreCommand(rest);
    if (command == "prune") return cx::app::runPruneCommand(rest);
    if (command == "sweep") return cx::app::runSweepCommand(rest);
    if (command == "iou") return cx::app::runIouCommand(rest);
    if (command == "diagram") return cx::app::runDiagramCommand(rest);
    if (command == "train-mask") return cx::app::runTrainMaskCommand(rest);
    if (command == "magnitude") return cx::app::runMagnitudeCommand(rest);
    if (command == "evaluate") return cx::app::runEvaluateCommand(rest);
    if (command == "overlap") return cx::app::runOverlapCommand(rest);
    return cx::app::usageError("unknown command '" + command + "' (see cx --help)");
}

}  // namespace

// The one boundary for the command line: whatever escapes a command is an error line, never an
// abort (engine calls return errors; this catches what a library might still throw).
int main(int argc, char** argv) {
    try {
        return runCommand(argc, argv);
    } catch (const std::bad_alloc&) {
        std::cerr << "error: out of memory\n";
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    } catch (...) {
        std::cerr << "error: an unknown failure\n";
    }
    return 1;
}
