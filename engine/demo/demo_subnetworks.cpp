#include "engine/demo/demo_subnetworks.h"

#include <filesystem>
#include <sstream>

#include "engine/data/arithmetic.h"
#include "engine/io/atomic_file.h"

namespace cx::engine {
namespace {

constexpr Ablation kAblations[] = {Ablation::None, Ablation::ZeroAblate, Ablation::RandomAblate, Ablation::RandomlySampled};

// A child job that shares the cancel token and reports under its own stage name.
JobContext stageJob(const JobContext& parent, const std::string& stage) {
    JobContext child(parent.token());
    child.onProgress = [&parent, stage](const Progress& p) { parent.progress(stage, p.fraction, p.payload); };
    child.onLog = parent.onLog;
    return child;
}

std::string overlapCsv(const std::string& key, const std::vector<OverlapLine>& rows) {
    std::ostringstream csv;
    csv << key << ",only_a,both,only_b,neither,iou\n";
    for (const auto& r : rows) csv << r.layer << ',' << r.onlyA << ',' << r.both << ',' << r.onlyB << ',' << r.neither << ',' << r.iou << '\n';
    return csv.str();
}

std::string percent(double fraction) {
    std::ostringstream out;
    out.precision(1);
    out << std::fixed << 100.0 * fraction << "%";
    return out.str();
}

std::string summaryMarkdown(const DemoSubnetworksRequest& req, const DemoSubnetworksReport& r) {
    std::ostringstream md;
    md << "# Subnetworks of the demo transformer\n\nModel: " << req.model << "  \nMasks: weight level, layers `" << req.layers
       << "`, method " << nameOf(req.method) << ", lambda " << req.lambda << ", initial logit " << req.initValue << ", " << req.epochs
       << " epochs\n\n";
    md << "| mask | kept | of | on its own task (held out) | base model |\n|---|---|---|---|---|\n";
    for (const auto* m : {&r.addition, &r.multiplication})
        md << "| " << (m == &r.addition ? "addition" : "multiplication") << " | " << m->kept << " (" << percent(double(m->kept) / double(m->total))
           << ") | " << m->total << " | " << percent(m->accuracy) << " | " << percent(m->baseAccuracy) << " |\n";
    md << "\nExact-answer accuracy on the held-out problems:\n\n| mask | task | ablation | accuracy |\n|---|---|---|---|\n";
    for (const auto& e : r.evaluations)
        md << "| " << e.mask << " | " << e.task << " | " << nameOf(e.ablation) << " | " << percent(e.accuracy)
           << (e.spread > 0 ? " +- " + percent(e.spread) : "") << " |\n";
    md << "\nOverlap per block (A = addition, B = multiplication):\n\n| block | only A | both | only B | neither | IoU |\n"
          "|---|---|---|---|---|---|\n";
    for (const auto& o : r.blockOverlap)
        md << "| " << o.layer << " | " << o.onlyA << " | " << o.both << " | " << o.onlyB << " | " << o.neither << " | " << o.iou << " |\n";
    return md.str();
}

}  // namespace

Result<DemoSubnetworksReport> runDemoSubnetworks(const DemoSubnetworksRequest& req, JobContext& job) {
    if (req.outDir.empty()) return invalidInput("no output folder given (--out DIR)");
    std::error_code ec;
    std::filesystem::create_directories(req.outDir, ec);
    if (ec) return invalidInput("cannot create the output folder " + req.outDir + ": " + ec.message());
    DemoSubnetworksReport report;
    const std::string tasks[] = {"addition", "multiplication"};
    for (const auto& task : tasks) {
        TrainMaskRequest t;
        t.model = req.model;
        t.task = task;
        t.out = (std::filesystem::path(req.outDir) / (task + ".safetensors")).string();
        t.method = req.method;
        t.layers = req.layers;
        t.lambda = req.lambda;
        t.learningRate = req.learningRate;
        t.initValue = req.initValue;
        t.epochs = req.epochs;
        t.seed = req.seed;
        auto child = stageJob(job, "train " + task);
        auto trained = runTrainMask(t, child);
        if (!trained) return trained.error();
        if (trained.value().cancelled) return cancelledError();
        (task == "addition" ? report.addition : report.multiplication) = trained.value();
        report.files.push_back(t.out);
    }
    int done = 0;
    const int total = 2 * 2 * int(std::size(kAblations));
    for (const auto& mask : tasks)
        for (const auto& task : tasks)
            for (const Ablation ablation : kAblations) {
                if (job.cancelled()) return cancelledError();
                EvaluateRequest e;
                e.model = req.model;
                e.mask = (std::filesystem::path(req.outDir) / (mask + ".safetensors")).string();
                e.task = task;
                e.ablation = ablation;
                e.repeats = req.repeats;
                e.seed = req.seed;
                auto r = runEvaluate(e);
                if (!r) return r.error();
                report.evaluations.push_back({mask, task, ablation, r.value().accuracy, r.value().spread});
                job.progress("evaluate", double(++done) / total);
            }
    const auto maskA = report.files[0], maskB = report.files[1];
    auto layers = runOverlap(req.model, maskA, maskB, OverlapBy::Layer);
    if (!layers) return layers.error();
    auto blocks = runOverlap(req.model, maskA, maskB, OverlapBy::Block);
    if (!blocks) return blocks.error();
    report.layerOverlap = layers.take();
    report.blockOverlap = blocks.take();
    std::ostringstream evaluation;
    evaluation << "mask,task,ablation,accuracy,spread\n";
    for (const auto& e : report.evaluations)
        evaluation << e.mask << ',' << e.task << ',' << nameOf(e.ablation) << ',' << e.accuracy << ',' << e.spread << '\n';
    const std::pair<std::string, std::string> files[] = {{"evaluation.csv", evaluation.str()},
                                                         {"overlap_layers.csv", overlapCsv("layer", report.layerOverlap)},
                                                         {"overlap_blocks.csv", overlapCsv("block", report.blockOverlap)},
                                                         {"summary.md", summaryMarkdown(req, report)}};
    for (const auto& [name, text] : files) {
        const auto path = (std::filesystem::path(req.outDir) / name).string();
        if (auto st = writeFileAtomic(path, text); !st) return st.error();
        report.files.push_back(path);
    }
    return report;
}

}  // namespace cx::engine
