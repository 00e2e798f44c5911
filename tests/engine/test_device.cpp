// The device choice, and every compute path on the GPU against the same computation on the CPU:
// scoring, sweeps, preservation, mask training, evaluation and node images. The *_CUDA tests
// skip themselves where the linked LibTorch has no CUDA or no GPU is present.
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/core/internal/blas_kernels.h"
#include "engine/core/runtime.h"
#include "engine/data/data_preview.h"
#include "engine/demo/demo_run.h"
#include "engine/diagram/node_images.h"
#include "engine/masks/internal/mask_training.h"
#include "engine/model/internal/model_impl.h"
#include "engine/model/model.h"
#include "engine/pruning/internal/circuit.h"
#include "engine/pruning/internal/preservation.h"
#include "engine/pruning/internal/scoring.h"
#include "engine/pruning/internal/sweep.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

std::shared_ptr<Model> load(const std::string& name) { return Model::load(cx::test::modelPath(name)).take(); }

// Restores the environment's device rule when a test ends, whatever it chose.
struct DeviceChoiceReset {
    ~DeviceChoiceReset() { setDeviceChoice(""); }
};

#define SKIP_WITHOUT_CUDA() \
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

}  // namespace

TEST(DeviceChoice, CpuOutranksTheGpuAndBadNamesChangeNothing) {
    DeviceChoiceReset reset;
    ASSERT_TRUE(setDeviceChoice("cpu"));
    EXPECT_EQ(defaultDevice(), "cpu");
    EXPECT_FALSE(setDeviceChoice("tpu"));
    EXPECT_EQ(defaultDevice(), "cpu");
    ASSERT_TRUE(setDeviceChoice("auto"));
    EXPECT_EQ(defaultDevice(), cudaAvailable() ? "cuda" : "cpu");
    EXPECT_NE(deviceDescription().find(cudaAvailable() ? "CUDA" : "CPU"), std::string::npos);
}

// Where OpenBLAS did not recognise the CPU it runs its SSE3 fallback kernels; the runtime
// switches it to the AVX2 or AVX-512 ones the CPU has, and products stay exact to float rounding.
TEST(CpuKernels, OpenBlasRunsTheKernelsTheCpuAllows) {
    initRuntime();
    const std::string kernels = blasKernels();
    if (kernels.empty()) GTEST_SKIP() << "the BLAS is not OpenBLAS";
    // The environment the process started with (setenv does not change /proc/self/environ).
    std::ifstream environ("/proc/self/environ", std::ios::binary);
    const std::string start((std::istreambuf_iterator<char>(environ)), std::istreambuf_iterator<char>());
    const bool userChose = start.rfind("OPENBLAS_CORETYPE=", 0) == 0 || start.find(std::string("\0OPENBLAS_CORETYPE=", 19)) != std::string::npos;
#if defined(__x86_64__)
    if (!userChose && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) EXPECT_NE(kernels, "Prescott");
#endif
    torch::manual_seed(4);
    const auto a = torch::randn({257, 300}), b = torch::randn({300, 129});
    const auto exact = torch::mm(a.to(torch::kFloat64), b.to(torch::kFloat64));
    EXPECT_TRUE(torch::allclose(torch::mm(a, b).to(torch::kFloat64), exact, 1e-5, 1e-4)) << kernels;
}

TEST(DevicePaths, ScoresOnTheGpuEqualTheCpu_CUDA) {
    SKIP_WITHOUT_CUDA();
    auto m = load("residual");
    torch::manual_seed(11);
    auto images = torch::randn({10, 3, 16, 16});
    ScoreOptions o;
    o.target = parseTarget(m->summary().layers.back().name + ":1").value();
    o.batchSize = 4;
    for (Criterion c : {Criterion::ActGrad, Criterion::Snip}) {
        o.criterion = c;
        JobContext job;
        o.device = "cpu";
        auto cpu = scoreKernels(*m, images, o, job);
        o.device = "cuda";
        auto gpu = scoreKernels(*m, images, o, job);
        ASSERT_TRUE(cpu.ok() && gpu.ok());
        for (const auto& [l, s] : cpu.value().scores) {
            EXPECT_FALSE(gpu.value().scores.at(l).is_cuda());
            EXPECT_TRUE(torch::allclose(gpu.value().scores.at(l), s, 1e-4, 1e-6)) << l;
        }
    }
}

TEST(DevicePaths, APopulationOnTheGpuEqualsTheCpu_CUDA) {
    SKIP_WITHOUT_CUDA();
    auto m = load("chain");
    torch::manual_seed(12);
    auto images = torch::randn({9, 3, 16, 16});
    SweepSettings s;
    s.target = parseTarget("features.3:0").value();
    s.criteria = {Criterion::ActGrad, Criterion::Snip};
    s.sparsities = {0.5, 0.1};
    s.batchSize = 4;
    JobContext job;
    // Shared scoring forwards on the device: each unit's scores as on the CPU.
    ScoreOptions o{s.target, Criterion::ActGrad, 4, 0, "cpu"};
    auto cpuScores = scorePopulation(*m, images, o, {0, 3, 5}, job);
    o.device = "cuda";
    auto gpuScores = scorePopulation(*m, images, o, {0, 3, 5}, job);
    ASSERT_TRUE(cpuScores.ok() && gpuScores.ok());
    for (size_t u = 0; u < 3; ++u)
        for (const auto& [l, sc] : cpuScores.value()[u].scores)
            EXPECT_TRUE(torch::allclose(gpuScores.value()[u].scores.at(l), sc, 1e-4, 1e-6)) << u << " " << l;
    s.device = "cpu";
    auto cpu = sweepPopulation(*m, images, images, s, {1, 4}, job);
    s.device = "cuda";
    auto gpu = sweepPopulation(*m, images, images, s, {1, 4}, job);
    ASSERT_TRUE(cpu.ok() && gpu.ok());
    ASSERT_EQ(cpu.value().size(), gpu.value().size());
    for (size_t i = 0; i < cpu.value().size(); ++i) {
        EXPECT_EQ(gpu.value()[i].unit, cpu.value()[i].unit);
        EXPECT_EQ(gpu.value()[i].kept, cpu.value()[i].kept);
        EXPECT_NEAR(gpu.value()[i].pearson, cpu.value()[i].pearson, 1e-4) << i;
    }
}

TEST(DevicePaths, SweepAndPreservationOnTheGpuEqualTheCpu_CUDA) {
    SKIP_WITHOUT_CUDA();
    auto m = load("chain");
    torch::manual_seed(8);
    auto images = torch::randn({12, 3, 16, 16});
    SweepSettings s;
    s.target = parseTarget("features.5:0").value();
    s.criteria = {Criterion::ActGrad, Criterion::Force};
    s.sparsities = {0.5, 0.1};
    s.batchSize = 5;
    JobContext job;
    s.device = "cpu";
    auto cpu = sweepCircuits(*m, images, images, s, job);
    s.device = "cuda";
    auto gpu = sweepCircuits(*m, images, images, s, job);
    ASSERT_TRUE(cpu.ok() && gpu.ok());
    ASSERT_EQ(cpu.value().size(), gpu.value().size());
    for (size_t i = 0; i < cpu.value().size(); ++i) {
        EXPECT_EQ(gpu.value()[i].kept, cpu.value()[i].kept);
        EXPECT_NEAR(gpu.value()[i].pearson, cpu.value()[i].pearson, 1e-4) << i;
        EXPECT_NEAR(gpu.value()[i].dfnorm, cpu.value()[i].dfnorm, 1e-4) << i;
    }
    // A circuit's activations, computed on each device from the same circuit.
    ScoreOptions o{s.target, Criterion::ActGrad, 5, 0, "cpu"};
    auto scores = scoreKernels(*m, images, o, job).take();
    auto c = selectCircuit(*m, scores, {0.3, false, BiasMode::Pruned}).take();
    const auto onCpu = targetActivations(*m, images, s.target, &c, 5, job, "cpu");
    const auto onGpu = targetActivations(*m, images, s.target, &c, 5, job, "cuda");
    EXPECT_FALSE(onGpu.is_cuda());
    EXPECT_TRUE(torch::allclose(onGpu, onCpu, 1e-4, 1e-6));
}

TEST(DevicePaths, MaskTrainingAndEvaluationOnTheGpuEqualTheCpu_CUDA) {
    SKIP_WITHOUT_CUDA();
    auto m = load("tiny_mlp");
    torch::manual_seed(5);
    const int64_t inputs = m->summary().layers.front().inChannels;
    auto x = torch::randn({512, inputs});
    torch::Tensor y;
    {
        torch::NoGradGuard noGrad;
        y = m->impl().module.forward({x}).toTensor().argmax(1);  // the model's own answers: base accuracy 1
    }
    MaskTrainOptions o;
    for (size_t l = 0; l < m->summary().layers.size(); ++l) o.layers.push_back(int(l));
    o.epochs = 4;
    o.batchSize = 64;
    o.lambda = 1.5e-5;
    o.initValue = 0.05;
    JobContext job;
    o.device = "cpu";
    auto cpu = trainMasks(*m, x, y, o, job);
    o.device = "cuda";
    auto gpu = trainMasks(*m, x, y, o, job);
    ASSERT_TRUE(cpu.ok() && gpu.ok());
    int64_t same = 0, total = 0;
    for (const auto& [l, mask] : cpu.value().hardMasks()) {
        const auto other = gpu.value().hardMasks().at(l);
        EXPECT_TRUE(other.is_cuda());
        same += other.cpu().eq(mask).sum().item<int64_t>();
        total += mask.numel();
    }
    // Continuous sparsification is deterministic: only rounding at logits near 0 may differ.
    EXPECT_GE(double(same) / double(total), 0.99);
    const auto masks = cpu.value().hardMasks();
    const double onCpu = maskedAccuracy(*m, masks, x, y, {}, "cpu");
    const double onGpu = maskedAccuracy(*m, masks, x, y, {}, "cuda");
    EXPECT_NEAR(onGpu, onCpu, 2.0 / 512);
    EXPECT_DOUBLE_EQ(maskedAccuracy(*m, {}, x, y, {}, "cuda"), 1.0);
}

TEST(DevicePaths, NodeImagesOnTheGpuEqualTheCpu_CUDA) {
    SKIP_WITHOUT_CUDA();
    DeviceChoiceReset reset;
    const std::string demo = std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt";
    const std::string dir = cx::test::tempDir();
    // Two names for the same images: the top-activation cache is keyed by path.
    ASSERT_TRUE(writeShapesImages(dir + "/a.safetensors", 40, 9).ok());
    std::filesystem::copy_file(dir + "/a.safetensors", dir + "/b.safetensors");
    JobContext job;
    ASSERT_TRUE(setDeviceChoice("cpu"));
    auto cpu = layerUnitPictures(demo, dir + "/a.safetensors", "features.conv3", job, 40);
    ASSERT_TRUE(setDeviceChoice("auto"));
    auto gpu = layerUnitPictures(demo, dir + "/b.safetensors", "features.conv3", job, 40);
    ASSERT_TRUE(cpu.ok() && gpu.ok());
    ASSERT_EQ(cpu.value().size(), gpu.value().size());
    for (size_t u = 0; u < cpu.value().size(); ++u) {
        EXPECT_EQ(gpu.value()[u].imageIndex, cpu.value()[u].imageIndex) << u;
        EXPECT_NEAR(gpu.value()[u].activation, cpu.value()[u].activation, 1e-4) << u;
        EXPECT_EQ(gpu.value()[u].width, cpu.value()[u].width) << u;
    }
}
