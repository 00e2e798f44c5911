#include "engine/demo/demo_cnn.h"

#include <chrono>
#include <sstream>

#include "engine/core/internal/guard.h"
#include "engine/core/runtime.h"
#include "engine/data/internal/shapes_render.h"
#include "engine/io/atomic_file.h"

namespace cx::engine {
namespace {

struct ConvSpec {
    const char* name;
    int64_t in, out, kernel, stride, padding;
};

// AlexNet's shape, scaled to 64 x 64 shapes: conv, pool, conv, pool, conv, conv, conv, pool.
constexpr ConvSpec kConvs[] = {{"conv1", 3, 16, 5, 1, 2},
                               {"conv2", 16, 32, 3, 1, 1},
                               {"conv3", 32, 48, 3, 1, 1},
                               {"conv4", 48, 48, 3, 1, 1},
                               {"conv5", 48, 32, 3, 1, 1}};
constexpr int64_t kHidden = 128;

torch::jit::Module convModule(const ConvSpec& c) {
    torch::jit::Module m(std::string("cx_demo.") + c.name);
    const double fanIn = double(c.in * c.kernel * c.kernel);
    m.register_parameter("weight", torch::randn({c.out, c.in, c.kernel, c.kernel}) * std::sqrt(2.0 / fanIn), false);
    m.register_parameter("bias", torch::zeros({c.out}), false);
    std::ostringstream src;
    src << "def forward(self, x):\n    return torch.conv2d(x, self.weight, self.bias, [" << c.stride << ", "
        << c.stride << "], [" << c.padding << ", " << c.padding << "], [1, 1], 1)\n";
    m.define(src.str());
    return m;
}

torch::jit::Module linearModule(const std::string& name, int64_t in, int64_t out) {
    torch::jit::Module m("cx_demo." + name);
    m.register_parameter("weight", torch::randn({out, in}) * std::sqrt(2.0 / double(in)), false);
    m.register_parameter("bias", torch::zeros({out}), false);
    m.define("def forward(self, x):\n    return torch.linear(x, self.weight, self.bias)\n");
    return m;
}

torch::jit::Module buildDemoCnn(int64_t classes) {
    torch::jit::Module features("cx_demo.Features");
    for (const auto& c : kConvs) features.register_module(c.name, convModule(c));
    features.define(R"(
def forward(self, x):
    x = torch.max_pool2d(torch.relu(self.conv1.forward(x)), [2, 2], [2, 2])
    x = torch.max_pool2d(torch.relu(self.conv2.forward(x)), [2, 2], [2, 2])
    x = torch.relu(self.conv3.forward(x))
    x = torch.relu(self.conv4.forward(x))
    x = torch.max_pool2d(torch.relu(self.conv5.forward(x)), [2, 2], [2, 2])
    return x
)");
    torch::jit::Module classifier("cx_demo.Classifier");
    classifier.register_module("fc1", linearModule("fc1", 32 * 8 * 8, kHidden));
    classifier.register_module("fc2", linearModule("fc2", kHidden, classes));
    classifier.define(R"(
def forward(self, x):
    return self.fc2.forward(torch.relu(self.fc1.forward(x)))
)");
    torch::jit::Module net("cx_demo.ShapesCNN");
    net.register_module("features", features);
    net.register_module("classifier", classifier);
    net.define(R"(
def forward(self, x):
    return self.classifier.forward(torch.flatten(self.features.forward(x), 1))
)");
    return net;
}

double accuracy(torch::jit::Module& net, const ImageSet& set) {
    torch::NoGradGuard noGrad;
    int64_t correct = 0;
    for (int64_t i = 0; i < set.info.count; i += 256) {
        const int64_t end = std::min(set.info.count, i + 256);
        auto logits = net.forward({set.images.slice(0, i, end)}).toTensor();
        correct += logits.argmax(1).eq(set.labels.slice(0, i, end)).sum().item<int64_t>();
    }
    return double(correct) / double(set.info.count);
}

}  // namespace

Result<DemoTrainReport> trainDemoCnn(const DemoTrainOptions& options, JobContext& job) {
    initRuntime();
    if (options.epochs < 1) return invalidInput("epochs must be at least 1");
    if (options.out.empty()) return invalidInput("no output path given");
    return guarded<DemoTrainReport>("demo training", [&]() -> Result<DemoTrainReport> {
        const auto start = std::chrono::steady_clock::now();
        torch::manual_seed(options.seed);
        const auto classes = static_cast<int64_t>(shapeClassNames().size());
        auto net = buildDemoCnn(classes);
        job.progress("generate images", 0.0);
        const ImageSet train = generateShapes({options.trainImages, options.seed, 64});
        const ImageSet test = generateShapes({options.testImages, options.seed + 1000003, 64});
        std::vector<torch::Tensor> params;
        for (const auto& p : net.parameters()) {
            p.set_requires_grad(true);
            params.push_back(p);
        }
        torch::optim::Adam optimizer(params, torch::optim::AdamOptions(options.learningRate));
        DemoTrainReport report;
        const int64_t batches = (options.trainImages + options.batchSize - 1) / options.batchSize;
        for (int epoch = 0; epoch < options.epochs; ++epoch) {
            auto order = torch::randperm(options.trainImages, torch::kInt64);
            double lossSum = 0;
            for (int64_t b = 0; b < batches; ++b) {
                if (job.cancelled()) return cancelledError();
                auto idx = order.slice(0, b * options.batchSize, std::min(options.trainImages, (b + 1) * options.batchSize));
                auto logits = net.forward({train.images.index_select(0, idx)}).toTensor();
                auto loss = torch::nll_loss(torch::log_softmax(logits, 1), train.labels.index_select(0, idx));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                lossSum += loss.item<double>();
                job.progress("train", (epoch + double(b + 1) / batches) / options.epochs);
            }
            report.trainLoss = lossSum / double(batches);
            job.log("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(options.epochs) +
                    ": mean loss " + std::to_string(report.trainLoss));
        }
        for (auto& p : params) p.set_requires_grad(false);
        net.eval();
        report.testAccuracy = accuracy(net, test);
        report.testImages = options.testImages;
        // TorchScript's own writer; write beside the target, then rename (atomic).
        std::ostringstream saved;  // TorchScript's own writer, then the atomic write of every output
        net.save(saved);
        if (auto st = writeFileAtomic(options.out, saved.str()); !st) return st.error();
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return report;
    });
}

Result<double> shapesAccuracy(const std::string& modelPath, int64_t count, uint64_t seed) {
    initRuntime();
    return guarded<double>("evaluating " + modelPath, [&]() -> Result<double> {
        auto net = torch::jit::load(modelPath);
        net.eval();
        return accuracy(net, generateShapes({count, seed, 64}));
    });
}

}  // namespace cx::engine
