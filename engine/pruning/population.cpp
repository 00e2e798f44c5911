#include "engine/pruning/population.h"

#include <set>

#include "engine/core/parse_number.h"
#include "engine/core/runtime.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/model/workspace.h"
#include "engine/pruning/internal/circuit_files.h"
#include "engine/pruning/internal/scoring.h"

namespace cx::engine {
namespace {

Result<int64_t> unitNumber(const std::string& text, const std::string& spec, const std::string& option) {
    const auto value = parseInt64(text);
    if (!value) return invalidInput(option + spec + ": '" + text + "' is not a unit number");
    return *value;
}

}  // namespace

Result<std::vector<int64_t>> parseUnits(const std::string& spec, int64_t count, const std::string& option) {
    std::vector<int64_t> units;
    if (spec == "all") {
        for (int64_t u = 0; u < count; ++u) units.push_back(u);
        return units;
    }
    std::set<int64_t> seen;
    size_t start = 0;
    while (start <= spec.size()) {
        const size_t comma = std::min(spec.find(',', start), spec.size());
        const std::string item = spec.substr(start, comma - start);
        start = comma + 1;
        if (item.empty()) return invalidInput(option + spec + ": an empty item (use 0-63, 3,7,9 or all)");
        const size_t dash = item.find('-', 1);
        auto first = unitNumber(item.substr(0, dash), spec, option);
        if (!first) return first.error();
        auto last = dash == std::string::npos ? first : unitNumber(item.substr(dash + 1), spec, option);
        if (!last) return last.error();
        if (last.value() < first.value()) return invalidInput(option + spec + ": the range " + item + " runs backwards");
        for (int64_t u = first.value(); u <= last.value(); ++u) {
            if (u < 0 || u >= count)
                return invalidInput(option + spec + ": unit " + std::to_string(u) + " is outside the layer's units 0.." +
                                    std::to_string(count - 1));
            if (!seen.insert(u).second) return invalidInput(option + spec + ": unit " + std::to_string(u) + " is given twice");
            units.push_back(u);
        }
    }
    return units;
}

Result<std::vector<int64_t>> shardOf(const std::vector<int64_t>& units, const std::string& shard) {
    if (shard.empty()) return units;
    const size_t slash = shard.find('/');
    const auto index = parseInt64(shard.substr(0, slash)), count = slash == std::string::npos ? std::nullopt : parseInt64(shard.substr(slash + 1));
    if (!index || !count || *count < 1 || *index < 0 || *index >= *count)
        return invalidInput("--shard " + shard + ": give I/N with 0 <= I < N (e.g. 0/4 .. 3/4, as $SLURM_ARRAY_TASK_ID/N)");
    if (*count > int64_t(units.size()))
        return invalidInput("--shard " + shard + ": " + std::to_string(*count) + " shards for " + std::to_string(units.size()) +
                            " units would leave some empty");
    const int64_t n = int64_t(units.size()), base = n / *count, extra = n % *count;
    const int64_t begin = *index * base + std::min(*index, extra), size = base + (*index < extra ? 1 : 0);
    return std::vector<int64_t>(units.begin() + begin, units.begin() + begin + size);
}

Result<PopulationReport> runPopulationScore(const PopulationScoreRequest& req, JobContext& job) {
    initRuntime();
    if (req.out.empty()) return invalidInput("no output file given (--out SCORES.safetensors)");
    if (req.target.find(':') != std::string::npos || !req.directionFile.empty())
        return invalidInput("with --units the target is a layer (--target LAYER), not " + req.target);
    if (req.criterion == Criterion::Force) return invalidInput("FORCE scores belong to one circuit size: a population cannot use them");
    if (req.granularity == Granularity::Head) return invalidInput("head scores are for learned masks, not populations");
    auto workspace = Workspace::open(req.model);
    if (!workspace) return workspace.error();
    auto& ws = workspace.value()->impl();
    const Model& model = *ws.model;
    const int layer = model.summary().indexOf(req.target);
    if (layer < 0) {
        TargetSpec probe;
        probe.layer = req.target;
        probe.unit = 0;
        auto resolved = resolveTarget(model.summary(), probe);  // names the layers there are
        return resolved ? invalidInput("no layer " + req.target) : resolved.error();
    }
    auto all = parseUnits(req.units, model.summary().layers[size_t(layer)].outChannels);
    if (!all) return all.error();
    auto units = shardOf(all.value(), req.shard);
    if (!units) return units.error();
    ScoreOptions options;
    options.target.layer = req.target;
    options.target.unit = units.value().front();
    if (auto st = parseObjective(req.objective, options.target); !st) return st.error();
    options.criterion = req.criterion;
    options.batchSize = req.batchSize;
    options.seed = req.seed;
    options.device = defaultDevice();
    options.granularity = req.granularity;
    job.progress("load images", 0.0);
    auto images = ws.images(req.images, req.imageOptions);
    if (!images) return images.error();
    auto scores = scorePopulation(model, images.value()->images, options, units.value(), job);
    if (!scores) return scores.error();
    if (job.cancelled()) return cancelledError();
    const Metadata meta = {{"method", nameOf(req.criterion)}, {"target", req.target}, {"objective", objectiveText(options.target)},
                           {"images_source", req.images}};
    if (auto st = writePopulationScoresFile(req.out, model, units.value(), scores.value(), meta); !st) return st.error();
    PopulationReport report;
    report.layer = req.target;
    report.units = units.take();
    report.images = images.value()->images.size(0);
    for (const auto& s : scores.value()) report.relevant.push_back(s.relevantCount);
    return report;
}

}  // namespace cx::engine
