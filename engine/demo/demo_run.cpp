#include "engine/demo/demo_run.h"

#include "engine/model/workspace.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/data/internal/shapes_render.h"
#include "engine/io/atomic_file.h"
#include "engine/model/internal/forward_plan.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"

namespace cx::engine {
namespace {

namespace fs = std::filesystem;

// Mean activation of every unit of every conv layer over the images, from one probed pass.
std::string unitActivationsCsv(const Model& model, const torch::Tensor& images, DemoRunReport& report) {
    const auto& layers = model.summary().layers;
    std::vector<Probe> probes;
    for (size_t i = 0; i < layers.size(); ++i)
        if (layers[i].isConv()) probes.push_back({static_cast<int>(i), ProbeSide::Output});
    auto plan = ForwardPlan::build(model, probes, false);
    if (!plan) throw std::runtime_error(plan.error().message);
    torch::NoGradGuard noGrad;
    auto out = plan.value().run({images});
    std::ostringstream csv;
    csv << "layer,unit,mean_activation\n";
    for (size_t p = 0; p < probes.size(); ++p) {
        auto means = torch::relu(out.probes[p]).mean({0, 2, 3});
        const auto& name = layers[static_cast<size_t>(probes[p].layer)].name;
        for (int64_t u = 0; u < means.size(0); ++u) csv << name << "," << u << "," << means[u].item<double>() << "\n";
        report.topUnits.push_back(name + ":" + std::to_string(means.argmax().item<int64_t>()));
    }
    return csv.str();
}

}  // namespace

Status writeShapesImages(const std::string& out, int64_t count, uint64_t seed) {
    if (count < 1) return invalidInput("image count must be at least 1");
    auto result = guarded<Done>("writing shapes images", [&]() -> Result<Done> {
        const ImageSet set = generateShapes({count, seed, 64});
        if (fs::path(out).extension() == ".safetensors") return saveImages(out, set);
        for (const auto& name : set.info.classNames) fs::create_directories(fs::path(out) / name);
        for (int64_t i = 0; i < count; ++i) {
            const auto& cls = set.info.classNames[static_cast<size_t>(set.labels[i].item<int64_t>())];
            std::ostringstream file;
            file << cls << "_" << i << ".png";
            auto st = savePng((fs::path(out) / cls / file.str()).string(), set.images[i]);
            if (!st) return st.error();
        }
        return Done{};
    });
    return result;
}

Result<DemoRunReport> runHeadlessDemo(const std::string& modelPath, const std::string& outDir, JobContext& job,
                                      const DemoCircuitOptions& circuit) {
    initRuntime();
    auto model = Model::load(modelPath);
    if (!model) return model.error();
    std::error_code ec;
    fs::create_directories(outDir, ec);
    if (ec) return ioError("cannot create " + outDir + ": " + ec.message());
    return guarded<DemoRunReport>("headless demo", [&]() -> Result<DemoRunReport> {
        DemoRunReport report;
        auto write = [&](const std::string& name, const std::string& text) -> Status {
            const std::string path = (fs::path(outDir) / name).string();
            report.files.push_back(path);
            return writeFileAtomic(path, text);
        };
        job.progress("images", 0.1);
        const ImageSet set = generateShapes({600, 424242, 64});
        report.images = set.info.count;
        const std::string imagesPath = (fs::path(outDir) / "shapes_eval.safetensors").string();
        if (auto st = saveImages(imagesPath, set); !st) return st.error();
        report.files.push_back(imagesPath);
        for (size_t c = 0; c < set.info.classNames.size(); ++c) {
            const std::string png = (fs::path(outDir) / ("sample_" + set.info.classNames[c] + ".png")).string();
            if (auto st = savePng(png, set.images[static_cast<int64_t>(c)]); !st) return st.error();
            report.files.push_back(png);
        }
        if (job.cancelled()) return cancelledError();
        job.progress("accuracy", 0.4);
        auto module = model.value()->impl().module;
        torch::NoGradGuard noGrad;
        auto logits = module.forward({set.images}).toTensor();
        report.accuracy = logits.argmax(1).eq(set.labels).to(torch::kFloat64).mean().item<double>();
        job.progress("activations", 0.7);
        if (auto st = write("unit_activations.csv", unitActivationsCsv(*model.value(), set.images, report)); !st)
            return st.error();
        std::ostringstream summary;
        summary << "model: " << modelPath << "\naccuracy on " << report.images << " held-out shapes: "
                << report.accuracy << "\nmost active unit per conv layer:";
        for (const auto& u : report.topUnits) summary << " " << u;
        summary << "\n";
        if (auto st = write("summary.txt", summary.str()); !st) return st.error();
        torch::AutoGradMode gradients(true);  // the accuracy above ran without; scoring needs them
        auto workspace = Workspace::over(model.value());
        if (auto st = writeDemoCircuit(*workspace, imagesPath, outDir, circuit, report.files, job); !st) return st.error();
        job.progress("done", 1.0);
        return report;
    });
}

}  // namespace cx::engine
