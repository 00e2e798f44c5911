// `cx`: the Circuit Explorer engine on the command line.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>

#include <unistd.h>

#include "app/cli/commands.h"
#include "engine/core/parse_number.h"
#include "engine/core/runtime.h"

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
  visualize MODEL ...        feature visualisations of units, in the model or in a circuit
  top-examples MODEL ...     each unit's top-activating images and patches (or, with --corpus, a
                             token model's top contexts with their anchor tokens), model and circuit
  probe MODEL ...            a unit's activation surface over arcs, corners, lines or colours
  polysemantic MODEL ...     a unit's top patches in clusters, a subcircuit per cluster (cross-preservation)
  tokenize TOKENIZER ...     the ids and tokens of a text (tokenizer.json, vocab.txt, GPT-2's encoder.json)
  mae MODEL ...              a language model neuron's minimal activating examples (seed 003)
  local-search MODEL ...     positives and negatives around them from a masked language model
  neuron-circuit MODEL ...   a language model neuron's circuit on its top examples, its examples in it
  equivalence A B ...        which units of A (a model or circuit) have an equivalent in B (seed 004)
  merge SHARD... --out F     join population shards (--units ... --shard I/N) into the unsharded file
  train-mask MODEL ...       learn a subnetwork mask (continuous sparsification, hard concrete)
  magnitude MODEL ...        magnitude-pruning baseline mask
  evaluate MODEL ...         task accuracy under a mask and an ablation
  overlap MODEL ...          overlap of two masks per layer, tensor, attention head or MLP
  demo train-cnn             train the built-in demo CNN on the procedural shapes set
  demo images                write procedural shapes images (safetensors or PNG folder)
  demo run --out DIR         the headless demo: inspect the demo model, sample images, accuracy
  demo train-transformer     train the built-in demo transformer (addition, multiplication)
  demo subnetworks --out DIR addition and multiplication subnetworks of the demo transformer
  demo train-lm, train-mlm   train the text demo's causal and masked language models (fortunes)

Run `cx <command> --help` for a command's options.
Every command takes --timeout SECONDS: past it, cx stops with an error (a model's forward that
never ends cannot be interrupted otherwise); no output file is replaced.
Exit codes: 0 success, 1 failure, 2 bad input (one `error: ...` line on stderr).
)";

// --timeout SECONDS, taken by every command: a forward that never ends (a model's own loop)
// cannot be interrupted inside LibTorch, so the process ends itself. Atomic writes mean no
// output file was replaced.
char timeoutMessage[160];

void onTimeout(int) {
    const ssize_t ignored = ::write(STDERR_FILENO, timeoutMessage, std::strlen(timeoutMessage));
    (void)ignored;
    ::_exit(1);
}

// Removes --timeout from the arguments and arms it; false (with `error`) for a bad value.
bool takeTimeout(std::vector<std::string>& args, std::string& error) {
    for (size_t i = 0; i < args.size(); ++i) {
        std::string value;
        size_t count = 0;
        if (args[i] == "--timeout" && i + 1 < args.size()) {
            value = args[i + 1];
            count = 2;
        } else if (args[i].rfind("--timeout=", 0) == 0) {
            value = args[i].substr(10);
            count = 1;
        } else if (args[i] == "--timeout") {
            error = "--timeout needs a number of seconds";
            return false;
        } else {
            continue;
        }
        const auto seconds = cx::engine::parseInt64(value);
        if (!seconds || *seconds < 1 || *seconds > 31 * 24 * 3600) {
            error = "--timeout expects whole seconds (1 or more), got '" + value + "'";
            return false;
        }
        std::snprintf(timeoutMessage, sizeof timeoutMessage,
                      "error: the command did not finish within %lld s (--timeout); no output file was replaced\n",
                      static_cast<long long>(*seconds));
        std::signal(SIGALRM, onTimeout);
        ::alarm(static_cast<unsigned>(*seconds));
        args.erase(args.begin() + long(i), args.begin() + long(i + count));
        return true;
    }
    return true;
}

int runCommand(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        std::cout << kUsage;
        return argc < 2 ? 2 : 0;
    }
    const std::string command = argv[1];
    std::vector<std::string> rest(argv + 2, argv + argc);
    if (std::string error; !takeTimeout(rest, error)) return cx::app::usageError(error);
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
    if (command == "visualize") return cx::app::runVisualizeCommand(rest);
    if (command == "top-examples") return cx::app::runTopExamplesCommand(rest);
    if (command == "probe") return cx::app::runProbeCommand(rest);
    if (command == "polysemantic") return cx::app::runPolysemanticCommand(rest);
    if (command == "tokenize") return cx::app::runTokenizeCommand(rest);
    if (command == "mae") return cx::app::runMaeCommand(rest);
    if (command == "local-search") return cx::app::runLocalSearchCommand(rest);
    if (command == "neuron-circuit") return cx::app::runNeuronCircuitCommand(rest);
    if (command == "equivalence") return cx::app::runEquivalenceCommand(rest);
    if (command == "merge") return cx::app::runMergeCommand(rest);
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
    // Model files are opened by a child `cx inspect` first, so a file that crashes LibTorch's
    // reader is refused with the reason (engine/core/runtime.h).
    char self[4096];
    const ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (length > 0) {
        self[length] = '\0';
        cx::engine::setModelProber(self);
    }
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
