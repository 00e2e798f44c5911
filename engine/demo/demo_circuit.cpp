// The headless demo's circuit (seed 002 in miniature): preservation curves, a circuit, its
// extended diagram with visualisations w.r.t. the circuit, and a page that links them.
#include "engine/demo/demo_circuit.h"

#include <filesystem>
#include <map>
#include <sstream>

#include "engine/demo/svg_chart.h"
#include "engine/diagram/diagram.h"
#include "engine/diagram/diagram_layout.h"
#include "engine/diagram/node_images.h"
#include "engine/io/atomic_file.h"
#include "engine/pruning/pruning.h"
#include "engine/pruning/sweep_job.h"
#include "engine/vis/feature_vis.h"

namespace cx::engine {
namespace {

namespace fs = std::filesystem;

std::string curvesSvg(const std::vector<CurvePoint>& points, const std::string& target) {
    static const std::map<Criterion, std::string> colours = {
        {Criterion::ActGrad, "#1f77b4"}, {Criterion::Snip, "#ff7f0e"}, {Criterion::Magnitude, "#2ca02c"}, {Criterion::Random, "#7f7f7f"}};
    std::vector<ChartSeries> series;
    for (const auto& [criterion, colour] : colours) {
        ChartSeries s{nameOf(criterion), colour, {}, {}, {}, {}};
        for (const auto& p : points)
            if (p.criterion == criterion) {
                s.x.push_back(p.sparsity);
                s.y.push_back(p.disconnected ? 0.0 : p.pearson);
            }
        if (!s.x.empty()) series.push_back(s);
    }
    return svgLineChart({"Feature preservation of " + target, "fraction of relevant kernels kept", "|Pearson r|", true, 0, 1, false, {}}, series);
}

}  // namespace

Status writeDemoCircuit(Workspace& workspace, const std::string& imagesPath, const std::string& outDir,
                        const DemoCircuitOptions& options, std::vector<std::string>& files, JobContext& job) {
    const auto path = [&](const std::string& name) { return (fs::path(outDir) / name).string(); };
    // Preservation curves over the default levels (FORCE left out: it costs 100 scoring passes).
    job.progress("preservation curves", 0.0);
    SweepRequest sweep;
    sweep.images = imagesPath;
    sweep.imageOptions.limit = options.scoringImages;
    sweep.target = options.target;
    sweep.criteria = {Criterion::ActGrad, Criterion::Snip, Criterion::Magnitude, Criterion::Random};
    sweep.out = path("curves.csv");
    JobContext quiet(job.token());
    auto points = runSweep(workspace, sweep, quiet);
    if (!points) return points.error();
    files.push_back(sweep.out);
    if (auto st = writeFileAtomic(path("curves.svg"), curvesSvg(points.value(), options.target)); !st) return st.error();
    files.push_back(path("curves.svg"));

    // The circuit, its file and its diagram with every vertex's visualisation w.r.t. it.
    job.progress("circuit", 0.2);
    ScoreSpec spec;
    spec.images = imagesPath;
    spec.imageOptions.limit = options.scoringImages;
    spec.target = options.target;
    auto scores = computeScores(workspace, spec, quiet);
    if (!scores) return scores.error();
    PruneSpec prune;
    prune.sparsity = options.sparsity;
    auto circuit = pruneCircuit(workspace, *scores.value(), prune, quiet);
    if (!circuit) return circuit.error();
    if (auto st = writeMask(workspace, *circuit.value().mask, path("circuit_mask.safetensors")); !st) return st.error();
    files.push_back(path("circuit_mask.safetensors"));
    DiagramOptions diagramOptions;
    auto diagram = buildDiagram(workspace, *circuit.value().mask, scores.value().get(), diagramOptions);
    if (!diagram) return diagram.error();
    VisSettings vis;
    vis.steps = options.visSteps;
    vis.height = vis.width = 64;  // the demo CNN reads 64 x 64 images in 0..1
    vis.normalize = false;
    job.progress("visualisations", 0.4);
    if (auto st = addNodeImages(diagram.value(), workspace, "", quiet); !st) return st.error();
    if (auto st = addVisualisationPictures(diagram.value(), workspace, circuit.value().mask, vis, quiet); !st) return st.error();
    diagramOptions.pictures = true;
    for (const std::string name : {"circuit.svg", "circuit.png"}) {
        if (auto st = exportDiagram(diagram.value(), diagramOptions, path(name), 110); !st) return st.error();
        files.push_back(path(name));
    }

    // The target itself, in the model and in the circuit.
    job.progress("target", 0.9);
    const auto colon = options.target.rfind(':');
    VisObjective target;
    target.layer = options.target.substr(0, colon);
    target.unit = std::stoll(options.target.substr(colon + 1));
    for (const auto& [name, mask] : {std::pair<std::string, MaskHandle>{"target_model.png", nullptr}, {"target_circuit.png", circuit.value().mask}}) {
        auto pictures = visualizeUnits(workspace, mask, {target}, vis, quiet);
        if (!pictures) return pictures.error();
        auto written = writeVisualisations(pictures.value(), vis, path(name));
        if (!written) return written.error();
        files.push_back(path(name));
    }
    if (job.cancelled()) return cancelledError();

    const auto& report = circuit.value().report;
    std::ostringstream index;
    index << "# Circuit Explorer: the demo CNN's curve unit\n\n"
          << "Seed 002 (Hamblin et al.) in miniature on `" << options.target << "` of the demo CNN, made by `cx demo run`.\n\n"
          << "## Feature preservation\n\n![preservation curves](curves.svg)\n\n"
          << "|Pearson r| between the unit's activations in the model and in the circuit, over the fraction of the "
          << report.relevant << " relevant kernels kept, per criterion ([curves.csv](curves.csv)).\n\n"
          << "## The circuit at " << options.sparsity * 100 << "%\n\n"
          << "ActGrad on " << options.scoringImages << " images keeps " << report.kept << " kernels, " << report.effectiveKept
          << " of them on an input-to-target path" << (report.disconnected ? " (the circuit is disconnected)" : "")
          << " ([circuit_mask.safetensors](circuit_mask.safetensors)). Each vertex shows its feature visualisation "
          << "with respect to the circuit (" << options.visSteps << " steps):\n\n![circuit](circuit.png)\n\n"
          << "([SVG](circuit.svg))\n\n## The target\n\n"
          << "| in the model | in the circuit |\n|---|---|\n| ![model](target_model.png) | ![circuit](target_circuit.png) |\n";
    if (auto st = writeFileAtomic(path("index.md"), index.str()); !st) return st.error();
    files.push_back(path("index.md"));
    return Done{};
}

}  // namespace cx::engine
