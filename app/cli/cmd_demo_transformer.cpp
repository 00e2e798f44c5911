// `cx demo train-transformer` and `cx demo subnetworks` (the seed-000 Figure 1 demo), and
// `cx demo population` (seed 002's population figures).
#include <iomanip>
#include <iostream>

#include <unistd.h>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "engine/demo/demo_population.h"
#include "engine/demo/demo_subnetworks.h"
#include "engine/demo/demo_transformer.h"

namespace cx::app {

int demoTrainTransformer(const Args& args) {
    engine::DemoTransformerOptions options;
    std::string err;
    options.out = args.value("out", demoTransformerPath());
    auto steps = args.integer("steps", options.steps, err);
    auto width = args.integer("width", options.width, err);
    auto seed = args.integer("seed", static_cast<long long>(options.seed), err);
    if (!err.empty()) return usageError(err);
    if (*steps < 1) return usageError("--steps must be at least 1");
    if (*width < 4 || *width % 4 != 0) return usageError("--width must be a positive multiple of 4 (the head count)");
    options.steps = *steps;
    options.width = *width;
    options.seed = static_cast<uint64_t>(*seed);
    engine::JobContext job;
    attachTerminalProgress(job);
    job.onLog = [](const std::string& line) { std::cerr << "\r" << line << "\n"; };
    auto report = engine::trainDemoTransformer(options, job);
    if (!report) return reportError(report.error());
    const auto& r = report.value();
    std::cout << "wrote " << options.out << "\nheld-out exact-answer accuracy (" << r.heldOutProblems
              << " problems per task): addition " << std::fixed << std::setprecision(4) << r.additionAccuracy
              << ", multiplication " << r.multiplicationAccuracy << "\nfinal training loss " << r.trainLoss << " ("
              << std::setprecision(0) << r.seconds << " s)\n";
    return 0;
}

int demoSubnetworks(const Args& args) {
    engine::DemoSubnetworksRequest req;
    std::string err;
    auto out = args.value("out");
    if (!out) return usageError("demo subnetworks needs --out DIR");
    req.outDir = *out;
    req.model = args.value("model", demoTransformerPath());
    req.method = args.choice("method", req.method, engine::parseMaskMethod, err);
    req.lambda = args.real("lambda", req.lambda, err).value_or(0);
    req.epochs = static_cast<int>(args.integer("epochs", req.epochs, err).value_or(0));
    req.seed = static_cast<uint64_t>(args.integer("seed", 0, err).value_or(0));
    if (!err.empty()) return usageError(err);
    engine::JobContext job;
    attachTerminalProgress(job);
    auto report = engine::runDemoSubnetworks(req, job);
    if (isatty(STDERR_FILENO)) std::cerr << "\n";
    if (!report) return reportError(report.error());
    const auto& r = report.value();
    std::cout << std::fixed << std::setprecision(4);
    for (const auto* m : {&r.addition, &r.multiplication})
        std::cout << (m == &r.addition ? "addition" : "multiplication") << " mask: kept " << m->kept << " of " << m->total
                  << " weights (" << std::setprecision(2) << 100.0 * double(m->kept) / double(m->total) << "%), held-out accuracy "
                  << std::setprecision(4) << m->accuracy << " (base " << m->baseAccuracy << ")\n";
    std::cout << "\nmask            task            ablation          accuracy\n";
    for (const auto& e : r.evaluations)
        std::cout << std::left << std::setw(16) << e.mask << std::setw(16) << e.task << std::setw(18) << engine::nameOf(e.ablation) << e.accuracy
                  << (e.spread > 0 ? " +- " + std::to_string(e.spread) : "") << "\n";
    std::cout << "\nfiles:\n";
    for (const auto& f : r.files) std::cout << "  " << f << "\n";
    return 0;
}

int demoPopulation(const Args& args) {
    engine::DemoPopulationRequest req;
    std::string err;
    auto out = args.value("out");
    if (!out) return usageError("demo population needs --out DIR");
    req.outDir = *out;
    req.model = args.value("model", demoModelPath());
    req.layer = args.value("layer", req.layer);
    req.units = args.value("units", req.units);
    req.images = args.integer("count", req.images, err).value_or(0);
    req.at = args.real("at", req.at, err).value_or(0);
    readCriteria(args, req.criteria, err);
    if (!err.empty()) return usageError(err);
    if (req.images < 2) return usageError("--count must be at least 2");
    engine::JobContext job;
    attachTerminalProgress(job);
    auto report = engine::runDemoPopulation(req, job);
    if (isatty(STDERR_FILENO)) std::cerr << "\r" << std::string(40, ' ') << "\r";
    if (!report) return reportError(report.error());
    const auto& r = report.value();
    std::cout << "median |r| over " << (r.quartiles.empty() ? 0 : r.quartiles.front().units) << " units of " << req.layer
              << " (interquartile range):\n";
    for (const auto& q : r.quartiles)
        if (q.sparsity == req.at || q.sparsity == 0.5 || q.sparsity == 0.01)
            std::cout << "  " << std::left << std::setw(10) << engine::nameOf(q.criterion) << std::setw(7) << q.sparsity << std::fixed
                      << std::setprecision(3) << q.median << " (" << q.q1 << " - " << q.q3 << ")" << std::defaultfloat << "\n";
    for (const auto& f : r.files) std::cout << "wrote " << f << "\n";
    return 0;
}

}  // namespace cx::app
