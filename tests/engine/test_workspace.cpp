// engine::Workspace: a model read once and kept in memory with what jobs computed on it. The
// in-memory path gives exactly the files of the file-level jobs, and nothing needs the model
// file once it is open.
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "engine/data/data_preview.h"
#include "engine/demo/demo_run.h"
#include "engine/diagram/diagram.h"
#include "engine/model/model.h"
#include "engine/model/workspace.h"
#include "engine/pruning/circuit_job.h"
#include "engine/pruning/pruning.h"
#include "engine/pruning/sweep_job.h"
#include "test_util.h"

using namespace cx::engine;
namespace fs = std::filesystem;

namespace {

const std::string kDemo = std::string(CX_TEST_DATA) + "/../../resources/demo/shapes_cnn.pt";

std::string bytesOf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

CircuitSpec demoSpec(const std::string& images, double sparsity) {
    CircuitSpec spec;
    spec.images = images;
    spec.target = "features.conv3:5";
    spec.sparsity = sparsity;
    return spec;
}

std::vector<double> unitMeanActivationsOf(Workspace& ws, const std::string& images, JobContext& job) {
    auto means = unitMeanActivations(ws, images, "features.conv2", job);
    EXPECT_TRUE(means.ok()) << means.error().message;
    return means.ok() ? means.value().mean : std::vector<double>{};
}

}  // namespace

// The acceptance test of issue 13: once open, the model file can go; a circuit is found,
// pruned again at another sparsity from the scores in memory, drawn and saved.
TEST(Workspace, FindsRePrunesAndDrawsAfterTheModelFileIsDeleted) {
    const std::string dir = cx::test::tempDir();
    const std::string model = dir + "/model.pt", images = dir + "/images.safetensors";
    fs::copy_file(kDemo, model);
    ASSERT_TRUE(writeShapesImages(images, 40, 7).ok());
    auto opened = Workspace::open(model);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    auto& ws = *opened.value();
    fs::remove(model);
    ASSERT_FALSE(fs::exists(model));

    JobContext job;
    auto first = findCircuit(ws, demoSpec(images, 0.2), job);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_FALSE(first.value().diagram.nodes.empty());
    EXPECT_FALSE(first.value().diagram.edges.empty());
    auto second = findCircuit(ws, demoSpec(images, 0.05), job);
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_LT(second.value().prune.kept, first.value().prune.kept);
    EXPECT_EQ(second.value().prune.relevant, first.value().prune.relevant);
    const auto stats = ws.stats();
    EXPECT_EQ(stats.scoreRuns, 1);  // the second search pruned the scores kept in memory
    EXPECT_EQ(stats.scoreHits, 1);
    EXPECT_EQ(stats.topActivationRuns, 1);  // and found the vertices' pictures there too

    auto drawn = loadDiagram(ws, *second.value().mask, {}, job, images);
    ASSERT_TRUE(drawn.ok()) << drawn.error().message;
    EXPECT_EQ(drawn.value().nodes.size(), second.value().diagram.nodes.size());
    const std::string saved = dir + "/saved_mask.safetensors";
    ASSERT_TRUE(writeMask(ws, *second.value().mask, saved).ok());
    auto reread = readMask(ws, saved);
    ASSERT_TRUE(reread.ok()) << reread.error().message;
}

// The in-memory circuit writes byte for byte the files that cx score and cx prune write, and
// the file-level jobs read the model once each.
TEST(Workspace, InMemoryCircuitWritesTheFilesOfTheFileJobs) {
    const std::string dir = cx::test::tempDir();
    const std::string images = dir + "/images.safetensors";
    ASSERT_TRUE(writeShapesImages(images, 32, 3).ok());
    JobContext job;
    ScoreRequest score;
    score.model = kDemo;
    score.images = images;
    score.target = "features.conv3:5";
    score.out = dir + "/scores.safetensors";
    const int64_t before = modelFileReads();
    ASSERT_TRUE(runScore(score, job).ok());
    EXPECT_EQ(modelFileReads() - before, 1);
    PruneRequest prune;
    prune.model = kDemo;
    prune.scores = score.out;
    prune.sparsity = 0.15;
    prune.out = dir + "/mask.safetensors";
    auto filed = runPrune(prune, job);
    ASSERT_TRUE(filed.ok()) << filed.error().message;
    EXPECT_EQ(modelFileReads() - before, 2);

    auto ws = Workspace::open(kDemo).take();
    auto scores = computeScores(*ws, score, job);
    ASSERT_TRUE(scores.ok()) << scores.error().message;
    auto pruned = pruneCircuit(*ws, *scores.value(), prune, job);
    ASSERT_TRUE(pruned.ok()) << pruned.error().message;
    EXPECT_EQ(pruned.value().report.kept, filed.value().kept);
    EXPECT_EQ(pruned.value().report.effectiveKept, filed.value().effectiveKept);
    ASSERT_TRUE(writeScores(*ws, *scores.value(), dir + "/scores2.safetensors").ok());
    ASSERT_TRUE(writeMask(*ws, *pruned.value().mask, dir + "/mask2.safetensors").ok());
    EXPECT_EQ(bytesOf(dir + "/scores2.safetensors"), bytesOf(score.out));
    EXPECT_EQ(bytesOf(dir + "/mask2.safetensors"), bytesOf(prune.out));
    // The diagram of the memory's mask is the mask file's.
    auto fromFile = buildDiagram(kDemo, prune.out, "", {});
    auto fromMemory = buildDiagram(*ws, *pruned.value().mask, nullptr, {});
    ASSERT_TRUE(fromFile.ok() && fromMemory.ok());
    ASSERT_EQ(fromMemory.value().edges.size(), fromFile.value().edges.size());
    for (size_t e = 0; e < fromFile.value().edges.size(); ++e)
        EXPECT_EQ(fromMemory.value().edges[e].saliency, fromFile.value().edges[e].saliency);
}

TEST(Workspace, SweepAndFindCircuitOnFilesReadTheModelOnce) {
    const std::string dir = cx::test::tempDir();
    const std::string images = dir + "/images.safetensors";
    ASSERT_TRUE(writeShapesImages(images, 24, 5).ok());
    JobContext job;
    SweepRequest sweep;
    sweep.model = kDemo;
    sweep.images = images;
    sweep.target = "features.conv2:3";
    sweep.criteria = {Criterion::ActGrad, Criterion::Snip};
    sweep.sparsities = {0.1, 0.5};
    sweep.out = dir + "/curve.csv";
    int64_t before = modelFileReads();
    ASSERT_TRUE(runSweep(sweep, job).ok());
    EXPECT_EQ(modelFileReads() - before, 1);

    FindCircuitRequest find;
    find.model = kDemo;
    static_cast<CircuitSpec&>(find) = demoSpec(images, 0.1);
    find.workDir = dir + "/found";
    before = modelFileReads();
    auto found = findCircuit(find, job);
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_EQ(modelFileReads() - before, 1);
    EXPECT_TRUE(fs::exists(found.value().maskFile));
    EXPECT_TRUE(fs::exists(found.value().scoresFile));
    EXPECT_EQ(found.value().diagram.mask, found.value().maskFile);
}

// Past the bound the least recently used entry goes; what a caller still holds stays valid.
TEST(Workspace, MemoryBoundEvictsTheLeastRecentlyUsedImages) {
    const std::string dir = cx::test::tempDir();
    const std::string a = dir + "/a.safetensors", b = dir + "/b.safetensors";
    ASSERT_TRUE(writeShapesImages(a, 16, 1).ok());
    ASSERT_TRUE(writeShapesImages(b, 16, 2).ok());
    auto ws = Workspace::open(kDemo).take();
    JobContext job;
    auto meanA = unitMeanActivationsOf(*ws, a, job);
    const size_t oneSet = ws->stats().cachedBytes;
    ASSERT_GT(oneSet, 0u);
    ws->setMemoryBound(oneSet + oneSet / 2);  // room for one image set, not two
    auto meanB = unitMeanActivationsOf(*ws, b, job);
    auto stats = ws->stats();
    EXPECT_EQ(stats.evictions, 1);
    EXPECT_LE(stats.cachedBytes, stats.memoryBound);
    EXPECT_EQ(stats.imageReads, 2);
    unitMeanActivationsOf(*ws, b, job);  // still there
    EXPECT_EQ(ws->stats().imageHits, 1);
    EXPECT_EQ(unitMeanActivationsOf(*ws, a, job), meanA);  // read again, the same values
    EXPECT_EQ(ws->stats().imageReads, 3);
    EXPECT_NE(meanA, meanB);
}
