#include "app/cli/circuit_option.h"

#include "app/cli/commands.h"
#include "engine/pruning/pruning.h"

namespace cx::app {

std::string circuitOptionProblem(const Args& args) {
    if (args.has("mask") && args.has("scores")) return "give either --mask or --scores, not both";
    if (args.has("scores") != args.has("sparsity")) return "--scores and --sparsity go together";
    return {};
}

int circuitFromOptions(engine::Workspace& workspace, const Args& args, engine::JobContext& job, engine::MaskHandle& mask) {
    mask.reset();
    if (args.has("mask")) {
        auto m = engine::readMask(workspace, *args.value("mask"));
        if (!m) return reportError(m.error());
        mask = m.value();
    } else if (args.has("scores")) {
        std::string err;
        const double sparsity = args.real("sparsity", 0.1, err).value_or(0);
        if (!err.empty()) return usageError(err);
        auto scores = engine::readScores(workspace, *args.value("scores"));
        if (!scores) return reportError(scores.error());
        engine::PruneSpec spec;
        spec.sparsity = sparsity;
        auto pruned = engine::pruneCircuit(workspace, *scores.value(), spec, job);
        if (!pruned) return reportError(pruned.error());
        mask = pruned.value().mask;
    }
    return 0;
}

}  // namespace cx::app
