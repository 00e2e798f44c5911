// Cancel in the middle of the long jobs - a sweep, mask training, Find Circuit at each of its
// stages - ends them promptly with ErrorCode::Cancelled (Stop, for mask training, keeps the
// masks learned so far), and leaves no half-written or temporary file behind.
#include <chrono>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "engine/demo/demo_run.h"
#include "engine/masks/subnetworks.h"
#include "engine/model/model.h"
#include "engine/pruning/circuit_job.h"
#include "engine/pruning/internal/circuit_files.h"
#include "engine/pruning/pruning.h"
#include "engine/pruning/sweep_job.h"
#include "test_util.h"

using namespace cx::engine;
namespace fs = std::filesystem;

namespace {

const std::string kDemo = std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt";

// The names in a folder, and whether any is an atomic write's temporary file (".NAME.tmp...").
std::set<std::string> filesIn(const std::string& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(dir)) names.insert(e.path().lexically_relative(dir).string());
    return names;
}

bool anyTemporary(const std::set<std::string>& names) {
    for (const auto& n : names)
        if (fs::path(n).filename().string().rfind('.', 0) == 0) return true;
    return false;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST(Cancellation, ASweepEndsAtItsNextStepAndWritesNoCurve) {
    const std::string dir = cx::test::tempDir();
    ASSERT_TRUE(writeShapesImages(dir + "/images.safetensors", 48, 3).ok());
    SweepRequest req;
    req.model = kDemo;
    req.images = dir + "/images.safetensors";
    req.target = "features.conv3:5";
    req.criteria = {Criterion::ActGrad, Criterion::Snip};
    req.out = dir + "/curve.csv";
    JobContext job;
    int points = 0;
    job.onProgress = [&](const Progress& p) {
        if (std::any_cast<CurvePoint>(&p.payload) && ++points == 2) job.token()->cancel();
    };
    const auto start = std::chrono::steady_clock::now();
    auto r = runSweep(req, job);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled);
    EXPECT_EQ(points, 2);  // no level is evaluated after the cancel
    EXPECT_LT(secondsSince(start), 20.0);
    EXPECT_EQ(filesIn(dir), (std::set<std::string>{"images.safetensors"}));
}

// Stop keeps what training has learned: the masks of the last completed step are written, whole.
// Cancel (an interrupt) writes nothing.
TEST(Cancellation, MaskTrainingStopKeepsTheMasksAndCancelWritesNothing) {
    const std::string dir = cx::test::tempDir();
    ASSERT_TRUE(writeShapesImages(dir + "/task.safetensors", 128, 4).ok());
    auto model = Model::load(kDemo).take();
    for (const bool interrupt : {false, true}) {
        TrainMaskRequest req;
        req.model = kDemo;
        req.task = dir + "/task.safetensors";
        req.layers = "features.*";
        req.granularity = Granularity::Kernel;
        req.epochs = 50;
        req.batchSize = 16;
        req.out = dir + (interrupt ? "/cancelled.safetensors" : "/stopped.safetensors");
        JobContext job;
        int64_t steps = 0;
        job.onProgress = [&](const Progress& p) {
            if (std::any_cast<MaskStep>(&p.payload) && ++steps == 3) {
                if (interrupt)
                    job.token()->interrupt();
                else
                    job.token()->cancel();
            }
        };
        const auto start = std::chrono::steady_clock::now();
        auto r = runTrainMask(req, job);
        EXPECT_LT(secondsSince(start), 30.0) << interrupt;
        EXPECT_EQ(steps, 3) << interrupt;  // 50 epochs of 8 steps were asked for
        if (interrupt) {
            ASSERT_FALSE(r.ok());
            EXPECT_EQ(r.error().code, ErrorCode::Cancelled);
            EXPECT_FALSE(fs::exists(req.out));
        } else {
            ASSERT_TRUE(r.ok()) << r.error().message;
            EXPECT_TRUE(r.value().cancelled);
            auto masks = readUnitMasks(req.out, *model);
            ASSERT_TRUE(masks.ok()) << masks.error().message;
            EXPECT_EQ(masks.value().masks.size(), 5u);  // the five conv layers
        }
    }
    EXPECT_FALSE(anyTemporary(filesIn(dir)));
}

// Find Circuit cancelled at the start of each of its stages: Cancelled, promptly, and the work
// folder holds only whole files (what earlier stages finished), never a temporary one.
TEST(Cancellation, FindCircuitEndsInEachStageAndLeavesOnlyWholeFiles) {
    const std::string dir = cx::test::tempDir();
    ASSERT_TRUE(writeShapesImages(dir + "/images.safetensors", 32, 5).ok());
    for (const std::string stage : {"score", "prune", "activations", "node images", "layout"}) {
        FindCircuitRequest req;
        req.model = kDemo;
        req.images = dir + "/images.safetensors";
        req.target = "features.conv3:5";
        req.sparsity = 0.2;
        req.workDir = dir + "/" + stage;
        JobContext job;
        std::set<std::string> seen;
        job.onProgress = [&](const Progress& p) {
            seen.insert(p.stage);
            if (p.stage == stage) job.token()->cancel();
        };
        const auto start = std::chrono::steady_clock::now();
        auto r = findCircuit(req, job);
        ASSERT_FALSE(r.ok()) << stage;
        EXPECT_EQ(r.error().code, ErrorCode::Cancelled) << stage << ": " << r.error().message;
        EXPECT_TRUE(seen.count(stage)) << stage << " was never reached";
        EXPECT_LT(secondsSince(start), 30.0) << stage;
        if (fs::exists(req.workDir)) EXPECT_FALSE(anyTemporary(filesIn(req.workDir))) << stage;
    }
}
