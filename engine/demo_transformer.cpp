#include "engine/demo_transformer.h"

#include <chrono>
#include <cmath>
#include <deque>
#include <sstream>

#include "engine/internal/arithmetic_data.h"
#include "engine/atomic_file.h"
#include "engine/internal/guard.h"
#include "engine/internal/script_modules.h"
#include "engine/internal/task_loss.h"
#include "engine/runtime.h"

namespace cx::engine {
namespace {

constexpr int64_t kHeads = 4;

torch::jit::Module attention(int64_t width) {
    torch::jit::Module m("cx_demo.CausalSelfAttention");
    for (const char* name : {"q", "k", "v", "o"}) m.register_module(name, scriptLinear(name, width, width));
    m.register_attribute("num_heads", c10::IntType::get(), kHeads);
    m.define(R"(
def forward(self, x):
    n = x.size(0)
    t = x.size(1)
    d = x.size(2)
    h = self.num_heads
    q = self.q.forward(x).view([n, t, h, d // h]).transpose(1, 2)
    k = self.k.forward(x).view([n, t, h, d // h]).transpose(1, 2)
    v = self.v.forward(x).view([n, t, h, d // h]).transpose(1, 2)
    scores = torch.matmul(q, k.transpose(-2, -1)) * (float(d // h) ** -0.5)
    future = torch.ones([t, t], device=x.device).triu(1).gt(0.5)
    weights = torch.softmax(scores.masked_fill(future, float('-inf')), -1)
    y = torch.matmul(weights, v).transpose(1, 2).reshape([n, t, d])
    return self.o.forward(y)
)");
    return m;
}

torch::jit::Module block(int64_t width) {
    torch::jit::Module mlp("cx_demo.MLP");
    mlp.register_module("fc", scriptLinear("fc", width, 4 * width));
    mlp.register_module("proj", scriptLinear("proj", 4 * width, width));
    mlp.define("def forward(self, x):\n    return self.proj.forward(torch.gelu(self.fc.forward(x)))\n");
    torch::jit::Module b("cx_demo.Block");
    b.register_module("ln1", scriptLayerNorm("ln1", width));
    b.register_module("attn", attention(width));
    b.register_module("ln2", scriptLayerNorm("ln2", width));
    b.register_module("mlp", mlp);
    b.define(R"(
def forward(self, x):
    x = x + self.attn.forward(self.ln1.forward(x))
    return x + self.mlp.forward(self.ln2.forward(x))
)");
    return b;
}

torch::jit::Module buildDemoTransformer(const DemoTransformerOptions& o) {
    torch::jit::Module net("cx_demo.ArithmeticGPT");
    net.register_module("tok_emb", scriptEmbedding("tok_emb", kArithmeticVocabulary, o.width, 1.0));
    net.register_module("pos_emb", scriptEmbedding("pos_emb", kArithmeticInputLength, o.width, 0.02));
    // Blocks block0, block1, ...: TorchScript compiled from C++ cannot index a ModuleList.
    std::string calls;
    for (int64_t i = 0; i < o.layers; ++i) {
        net.register_module("block" + std::to_string(i), block(o.width));
        calls += "    x = self.block" + std::to_string(i) + ".forward(x)\n";
    }
    net.register_module("ln_f", scriptLayerNorm("ln_f", o.width));
    net.register_module("head", scriptLinear("head", o.width, kArithmeticVocabulary));
    net.define(R"(
def forward(self, ids):
    positions = torch.arange(ids.size(1), device=ids.device)
    x = self.tok_emb.forward(ids) + self.pos_emb.forward(positions)
)" + calls + R"(
    return self.head.forward(self.ln_f.forward(x))
)");
    return net;
}

torch::Tensor heldOutCorrect(torch::jit::Module& net, ArithmeticOp op, int64_t& count) {
    torch::NoGradGuard noGrad;
    const auto task = arithmeticTask(op, ArithmeticSplit::HeldOut);
    count = task.inputs.size(0);
    return exactCorrect(net.forward({task.inputs}).toTensor(), task.targets);
}

}  // namespace

Result<DemoTransformerReport> trainDemoTransformer(const DemoTransformerOptions& o, JobContext& job) {
    initRuntime();
    if (o.steps < 1) return invalidInput("steps must be at least 1");
    if (o.width % kHeads != 0 || o.width < kHeads) return invalidInput("the width must be a positive multiple of 4 (heads)");
    if (o.out.empty()) return invalidInput("no output path given");
    return guarded<DemoTransformerReport>("demo transformer training", [&]() -> Result<DemoTransformerReport> {
        const auto start = std::chrono::steady_clock::now();
        torch::manual_seed(o.seed);
        auto net = buildDemoTransformer(o);
        const auto add = arithmeticTask(ArithmeticOp::Addition, ArithmeticSplit::Train);
        const auto mul = arithmeticTask(ArithmeticOp::Multiplication, ArithmeticSplit::Train);
        const auto inputs = torch::cat({add.inputs, mul.inputs});
        const auto targets = torch::cat({add.targets, mul.targets});
        std::vector<torch::Tensor> params;
        for (const auto& p : net.parameters()) params.push_back(p.set_requires_grad(true));
        torch::optim::AdamW optimizer(
            params, torch::optim::AdamWOptions(o.learningRate).weight_decay(o.weightDecay).betas({0.9, 0.98}));
        net.train();
        std::deque<double> recent;
        for (int64_t step = 0; step < o.steps; ++step) {
            if (job.cancelled()) return cancelledError();
            const double warm = std::min(1.0, double(step + 1) / 200.0);
            const double lr = o.learningRate * warm * 0.5 * (1.0 + std::cos(M_PI * double(step) / double(o.steps)));
            static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[0].options()).lr(lr);
            auto idx = torch::randint(inputs.size(0), {o.batchSize}, torch::kInt64);
            auto loss = taskLoss(net.forward({inputs.index_select(0, idx)}).toTensor(), targets.index_select(0, idx), false);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            recent.push_back(loss.item<double>());
            if (recent.size() > 100) recent.pop_front();
            job.progress("train", double(step + 1) / double(o.steps));
            if ((step + 1) % 500 == 0)
                job.log("step " + std::to_string(step + 1) + "/" + std::to_string(o.steps) + ": loss " + std::to_string(recent.back()));
        }
        for (auto& p : params) p.set_requires_grad(false);
        net.eval();
        DemoTransformerReport report;
        for (double v : recent) report.trainLoss += v / double(recent.size());
        report.additionAccuracy = heldOutCorrect(net, ArithmeticOp::Addition, report.heldOutProblems).to(torch::kDouble).mean().item<double>();
        report.multiplicationAccuracy =
            heldOutCorrect(net, ArithmeticOp::Multiplication, report.heldOutProblems).to(torch::kDouble).mean().item<double>();
        std::ostringstream saved;  // TorchScript's own writer, then the atomic write of every output
        net.save(saved);
        if (auto st = writeFileAtomic(o.out, saved.str()); !st) return st.error();
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return report;
    });
}

Result<double> arithmeticAccuracy(const std::string& modelPath, ArithmeticOp op) {
    initRuntime();
    return guarded<double>("evaluating " + modelPath, [&]() -> Result<double> {
        auto net = torch::jit::load(modelPath);
        net.eval();
        int64_t count = 0;
        return heldOutCorrect(net, op, count).to(torch::kDouble).mean().item<double>();
    });
}

}  // namespace cx::engine
