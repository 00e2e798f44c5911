// Scoring on windows of several lengths: one scoreKernels call per length (the model reads each
// length unpadded), the per-example saliencies summed. The weight-only criteria (magnitude,
// random) do not read the data: scored once.
#include "engine/text/neuron_circuit.h"

#include <algorithm>
#include <map>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/pruning/internal/circuit_files.h"
#include "engine/pruning/internal/scoring.h"
#include "engine/pruning/pruning.h"
#include "engine/text/neuron_reader.h"

namespace cx::engine {
namespace {

// The examples' windows grouped by length, shortest first, each group as an N x T id tensor.
std::vector<torch::Tensor> windowsByLength(const TokenCorpus& corpus, const std::vector<TokenExample>& examples) {
    std::map<size_t, std::vector<int64_t>> byLength;
    for (const auto& e : examples) byLength[corpus.windows[size_t(e.window)].ids.size()].push_back(e.window);
    std::vector<torch::Tensor> out;
    for (const auto& [length, windows] : byLength) {
        auto ids = torch::empty({int64_t(windows.size()), int64_t(length)}, torch::kInt64);
        for (size_t r = 0; r < windows.size(); ++r) ids[int64_t(r)].copy_(torch::tensor(corpus.windows[size_t(windows[r])].ids, torch::kInt64));
        out.push_back(ids);
    }
    return out;
}

bool readsData(Criterion c) { return c == Criterion::ActGrad || c == Criterion::Snip; }

Result<UnitScores> scoreOnWindows(const Model& model, const std::vector<torch::Tensor>& groups, const ScoreOptions& options,
                                  int64_t tokens, JobContext& job) {
    UnitScores total;
    int64_t done = 0;
    for (const auto& ids : groups) {
        JobContext part(job.token());
        const double from = double(done) / double(tokens), width = double(ids.numel()) / double(tokens);
        part.onProgress = [&](const Progress& p) { job.progress("score", from + width * p.fraction); };
        auto scores = scoreKernels(model, ids, options, part);
        if (!scores) return scores.error();
        if (!readsData(options.criterion)) return scores;
        if (total.scores.empty()) {
            total = scores.take();
        } else {
            for (auto& [layer, s] : total.scores) s.add_(scores.value().scores.at(layer));
            total.images += scores.value().images;
        }
        done += ids.numel();
    }
    return total;
}

}  // namespace

Result<NeuronCircuit> neuronCircuit(Workspace& workspace, const TokenCorpus& corpus, const TokenUnitExamples& top,
                                    const NeuronCircuitSpec& spec, JobContext& job) {
    initRuntime();
    if (spec.criterion == Criterion::Force)
        return invalidInput("FORCE scores one input set as a whole; a neuron's examples come in several lengths: use ActGrad or SNIP");
    if (!(spec.sparsity > 0.0 && spec.sparsity <= 1.0)) return invalidInput("sparsity must be in (0, 1], got " + std::to_string(spec.sparsity));
    if (top.top.empty()) return invalidInput("the neuron has no examples to find its circuit on");
    for (const auto& e : top.top)
        if (e.window < 0 || size_t(e.window) >= corpus.windows.size()) return invalidInput("an example's window is not in the corpus");
    std::vector<TokenExample> used = top.top;
    if (spec.examples > 0 && size_t(spec.examples) < used.size()) used.resize(size_t(spec.examples));
    TargetSpec target;
    target.layer = spec.layer;
    target.unit = spec.unit;
    target.objective = Objective::Max;
    const Model& model = *workspace.model();
    if (auto resolved = resolveTarget(model.summary(), target); !resolved) return resolved.error();
    return guarded<NeuronCircuit>("neuron circuit", [&]() -> Result<NeuronCircuit> {
        NeuronCircuit out;
        const auto groups = windowsByLength(corpus, used);
        for (const auto& g : groups) out.tokens += g.numel();
        out.windows = int64_t(used.size());
        ScoreOptions options;
        options.target = target;
        options.criterion = spec.criterion;
        options.granularity = spec.granularity;
        options.device = defaultDevice();
        job.progress("score", 0.0);
        auto unitScores = scoreOnWindows(model, groups, options, out.tokens, job);
        if (!unitScores) return unitScores.error();
        auto scores = std::make_shared<Scores>();
        scores->data.scores = unitScores.take();
        scores->data.target = target;
        const Metadata meta = {{"method", nameOf(spec.criterion)}, {"target", target.text()}, {"objective", objectiveText(target)},
                               {"images_source", "top " + std::to_string(used.size()) + " examples of " + target.text()}};
        scores->data.metadata = scoresMetadata(model, scores->data.scores, meta, &scores->data.target);
        scores->source = nameOf(spec.criterion) + std::string(" scores of ") + target.text() + " on its top examples";
        out.scores = scores;
        if (job.cancelled()) return cancelledError();
        job.progress("prune", 0.0);
        PruneSpec prune;
        prune.sparsity = spec.sparsity;
        auto pruned = pruneCircuit(workspace, *scores, prune, job);
        if (!pruned) return pruned.error();
        out.mask = pruned.value().mask;
        out.prune = pruned.value().report;
        job.progress("circuit", 0.0);
        auto reader = NeuronReader::open(workspace, out.mask, spec.layer, {spec.unit});
        if (!reader) return reader.error();
        for (const auto& e : top.top) {
            if (job.cancelled()) return cancelledError();
            auto values = reader.value().unitValues({corpus.windows[size_t(e.window)].ids}, 0);
            if (!values) return values.error();
            out.onModelExamples.push_back(values.value()[0][size_t(e.anchor)]);
        }
        if (spec.compareOverCorpus) {
            JobContext part(job.token());
            part.onProgress = [&](const Progress& p) { job.progress("circuit", p.fraction); };
            auto circuitTop = topTokenExamples(workspace, out.mask, corpus, spec.layer, {spec.unit}, int64_t(top.top.size()), part);
            if (!circuitTop) return circuitTop.error();
            out.circuitTop = circuitTop.value().units.front();
        }
        return out;
    });
}

}  // namespace cx::engine
