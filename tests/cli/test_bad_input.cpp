// Bad input through the real `cx` binary: every reading command given a folder, a FIFO, a device
// or a crafted file where a file goes, and meaningless numbers. Each must exit 2 with one
// `error:` line naming the problem, within the time limit (no hang, no signal), and leave no file
// behind; a write never replaces something that is not a regular file.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_run.h"

namespace fs = std::filesystem;

namespace {

std::string model(const std::string& name) { return std::string(CX_TEST_DATA) + "/models/" + name + ".pt"; }

// A safetensors file written byte by byte: any header, any data.
void writeRaw(const std::string& path, const nlohmann::json& header, const std::string& data) {
    std::string text = header.dump();
    std::ofstream out(path, std::ios::binary);
    const uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) out.put(char((n >> (8 * i)) & 0xff));
    out << text << data;
}

// A safetensors file's header and data, to be changed and written again with writeRaw.
std::pair<nlohmann::json, std::string> readRaw(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(bytes[size_t(i)]);
    return {nlohmann::json::parse(bytes.substr(8, n)), bytes.substr(8 + n)};
}

// The fixtures every case reads: images, a valid scores file, and crafted bad files.
struct Files {
    std::string dir, images, small, scores, mask, fifo, zeroHuge, overlap, badImagesCount, nanScores, nanImages;
};

const Files& files() {
    static const Files f = [] {
        Files f;
        f.dir = cxtest::cliTempDir();
        f.images = f.dir + "/img.safetensors";
        f.scores = f.dir + "/s.safetensors";
        f.mask = f.dir + "/m.safetensors";
        EXPECT_EQ(cxtest::runCx("demo images --count 6 --seed 1 --out " + f.images).code, 0);
        EXPECT_EQ(cxtest::runCx("score " + model("chain") + " --images " + f.images + " --target features.5:1 --out " + f.scores).code, 0);
        EXPECT_EQ(cxtest::runCx("prune " + model("chain") + " --scores " + f.scores + " --sparsity 0.5 --out " + f.mask).code, 0);
        // 6 images of 3 x 16 x 16 with labels 0..5: inputs the chain model takes (its 3 outputs do
// not cover the labels: a task that does not fit).
        f.small = f.dir + "/small.safetensors";
        {
            std::string pixels(6 * 3 * 16 * 16 * 4, '\0'), labels;
            for (size_t i = 0; i < pixels.size() / 4; ++i) {
                const float v = float((i * 37) % 101) / 100.0f;
                pixels.replace(i * 4, 4, reinterpret_cast<const char*>(&v), 4);
            }
            for (int64_t l = 0; l < 6; ++l) labels.append(reinterpret_cast<const char*>(&l), 8);
            writeRaw(f.small,
                     {{"images", {{"dtype", "F32"}, {"shape", {6, 3, 16, 16}}, {"data_offsets", {0, pixels.size()}}}},
                      {"labels", {{"dtype", "I64"}, {"shape", {6}}, {"data_offsets", {pixels.size(), pixels.size() + 48}}}}},
                     pixels + labels);
        }
        f.fifo = f.dir + "/fifo";
        EXPECT_EQ(::mkfifo(f.fifo.c_str(), 0600), 0);
        // A zero size before a dimension >= 2^63: the element count is 0, the shape is not.
        f.zeroHuge = f.dir + "/zero_huge.safetensors";
        writeRaw(f.zeroHuge, {{"images", {{"dtype", "F32"}, {"shape", {0, 9223372036854775808ull, 3}}, {"data_offsets", {0, 0}}}}}, "");
        f.overlap = f.dir + "/overlap.safetensors";
        writeRaw(f.overlap,
                 {{"images", {{"dtype", "F32"}, {"shape", {1, 1, 1, 2}}, {"data_offsets", {0, 8}}}},
                  {"labels", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {4, 8}}}}},
                 std::string(8, '\0'));
        // The valid scores file with its metadata 'images' made a non-number, then NaN scores.
        auto [header, data] = readRaw(f.scores);
        header["__metadata__"]["images"] = "12abc";
        f.badImagesCount = f.dir + "/bad_count.safetensors";
        writeRaw(f.badImagesCount, header, data);
        header["__metadata__"]["images"] = "6";
        const uint64_t at = header["score/features.0.weight"]["data_offsets"][0];
        const float nan = std::nanf("");
        data.replace(at, 4, reinterpret_cast<const char*>(&nan), 4);
        f.nanScores = f.dir + "/nan_scores.safetensors";
        writeRaw(f.nanScores, header, data);
        const float pixels[4] = {0.5f, nan, 0.5f, 0.5f};
        f.nanImages = f.dir + "/nan_images.safetensors";
        writeRaw(f.nanImages, {{"images", {{"dtype", "F32"}, {"shape", {1, 1, 2, 2}}, {"data_offsets", {0, 16}}}}},
                 std::string(reinterpret_cast<const char*>(pixels), 16));
        return f;
    }();
    return f;
}

// Exit 2, one error line that says `expect`, nothing on stdout, nothing left in `dir`.
void expectRefused(const std::string& args, const std::string& expect) {
    const auto before = std::distance(fs::directory_iterator(files().dir), fs::directory_iterator());
    const auto r = cxtest::runCx(args, 60);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(expect), std::string::npos) << args << "\n" << r.err;
    const auto after = std::distance(fs::directory_iterator(files().dir), fs::directory_iterator());
    EXPECT_EQ(after, before) << args << ": a file was left behind";
}

}  // namespace

TEST(BadInput, NotAFileWhereAFileGoes) {
    const auto& f = files();
    const std::string out = " --out " + f.dir + "/never.safetensors";
    for (const std::string& bad : {f.dir, f.fifo, std::string("/dev/zero")}) {
        const std::string kind = bad == f.dir ? "a folder" : bad == f.fifo ? "a FIFO" : "a device";
        // --images takes a folder of pictures too: this one has none.
        const std::string images = bad == f.dir ? "no PNG or JPEG images" : kind;
        expectRefused("inspect " + bad, kind);
        expectRefused("score " + bad + " --images " + f.images + " --target features.5:1" + out, kind);
        expectRefused("score " + model("chain") + " --images " + bad + " --target features.5:1" + out, images);
        expectRefused("prune " + model("chain") + " --scores " + bad + " --sparsity 0.5" + out, kind);
        expectRefused("sweep " + model("chain") + " --images " + bad + " --target features.5:1 --out " + f.dir + "/c.csv", images);
        expectRefused("iou " + bad + " " + f.mask, kind);
        expectRefused("diagram " + model("chain") + " --mask " + bad + " --out " + f.dir + "/d.svg", kind);
        expectRefused("train-mask " + model("tiny_mlp") + " --task " + bad + out, kind);
        expectRefused("evaluate " + model("chain") + " --mask " + bad + " --task " + f.images, kind);
        expectRefused("overlap " + model("chain") + " --mask " + bad + " --mask " + f.mask, kind);
        expectRefused("score " + model("chain") + " --images " + f.images + " --target features.5 --direction " + bad + out, kind);
    }
}

TEST(BadInput, CraftedSafetensorsFiles) {
    const auto& f = files();
    const std::string out = " --out " + f.dir + "/never.safetensors";
    expectRefused("score " + model("chain") + " --images " + f.zeroHuge + " --target features.5:1" + out, "shape is too large");
    expectRefused("score " + model("chain") + " --images " + f.overlap + " --target features.5:1" + out, "overlapping data_offsets");
    expectRefused("prune " + model("chain") + " --scores " + f.badImagesCount + " --sparsity 0.5" + out, "'images'");
    expectRefused("prune " + model("chain") + " --scores " + f.nanScores + " --sparsity 0.5" + out, "NaN");
    expectRefused("score " + model("chain") + " --images " + f.nanImages + " --target features.5:1" + out, "NaN");
}

TEST(BadInput, MeaninglessNumbers) {
    const auto& f = files();
    const std::string train = "train-mask " + model("chain") + " --task " + f.small + " --out " + f.dir + "/never.safetensors";
    for (const std::string& lr : {"nan", "inf"}) expectRefused(train + " --lr " + lr, "--lr expects a finite number");
    for (const std::string& lr : {"-1", "0"}) expectRefused(train + " --lr " + lr, "learning rate");
    expectRefused(train + " --lambda inf", "lambda");
    expectRefused(train + " --lambda nan", "lambda");
    expectRefused(train + " --init nan", "init");
    for (const std::string& t : {"0", "-1", "nan"}) expectRefused(train + " --final-temperature " + t, "temperature");
    expectRefused("sweep " + model("chain") + " --images " + f.images + " --target features.5:1 --sparsities '' --out " + f.dir + "/c.csv",
                  "--sparsities");
    expectRefused("prune " + model("chain") + " --scores " + f.scores + " --cumulative 0 --out " + f.dir + "/never.safetensors",
                  "--cumulative");
    expectRefused("score " + model("chain") + " --images " + f.images + " --target features.5:1 --objective position:99,99 --out " +
                      f.dir + "/never.safetensors",
                  "outside");
}

TEST(BadInput, WritesNeverReplaceWhatIsNotARegularFile) {
    const auto& f = files();
    const std::string target = f.dir + "/out_fifo";
    ASSERT_EQ(::mkfifo(target.c_str(), 0600), 0);
    expectRefused("prune " + model("chain") + " --scores " + f.scores + " --sparsity 0.5 --out " + target, "not a regular file");
    struct stat st {};
    ASSERT_EQ(::lstat(target.c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    ::unlink(target.c_str());
    // A replaced file keeps its permissions.
    const std::string mask = f.dir + "/kept_mode.safetensors";
    ASSERT_EQ(cxtest::runCx("prune " + model("chain") + " --scores " + f.scores + " --sparsity 0.5 --out " + mask).code, 0);
    ASSERT_EQ(::chmod(mask.c_str(), 0640), 0);
    ASSERT_EQ(cxtest::runCx("prune " + model("chain") + " --scores " + f.scores + " --sparsity 0.3 --out " + mask).code, 0);
    ASSERT_EQ(::stat(mask.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    fs::remove(mask);
}

// Task data that does not fit the model is refused before training or evaluating, naming the
// file and what does not fit (never the interpreter's "operation failed" alone).
TEST(BadInput, TaskDataThatDoesNotFitTheModel) {
    const auto& f = files();
    const std::string dir = f.dir;
    const std::string out = " --out " + dir + "/never.safetensors";
    // 3 x 64 x 64 images for an MLP over 6 numbers: the inputs do not fit.
    expectRefused("train-mask " + model("tiny_mlp") + " --task " + f.images + out, "cannot take these inputs");
    // Labels past the model's outputs (chain has 7): a class index of 9.
    const std::string labels = dir + "/labels9.safetensors";
    {
        auto [header, data] = readRaw(f.small);
        const uint64_t at = header["labels"]["data_offsets"][0];
        const int64_t nine = 9;
        data.replace(at, 8, reinterpret_cast<const char*>(&nine), 8);
        writeRaw(labels, header, data);
    }
    expectRefused("train-mask " + model("chain") + " --task " + labels + out, "class 9");
    expectRefused("evaluate " + model("chain") + " --mask " + f.mask + " --task " + labels, "class 9");
    fs::remove(labels);
    // A token task (the demo transformer's) for an image model.
    expectRefused("train-mask " + model("chain") + " --task addition" + out, "cannot take these inputs");
}

// Crafted TorchScript archives (tests/data/make_bad_archives.py): a tensor whose storage record
// is shorter than the tensor, and a record whose directory entry unpacks to 4 GiB.
TEST(BadInput, CraftedTorchScriptArchives) {
    const auto& f = files();
    const std::string bad = std::string(CX_TEST_DATA) + "/bad/";
    for (const std::string& cmd : {"inspect ", "magnitude "}) {
        const std::string tail = cmd == "inspect " ? "" : " --keep 0.5 --out " + f.dir + "/never.safetensors";
        expectRefused(cmd + bad + "short_storage.pt" + tail, "needs 192 bytes but its data holds 96");
        expectRefused(cmd + bad + "zip_bomb.pt" + tail, "zip bomb");
    }
    expectRefused("score " + bad + "short_storage.pt --images " + f.images + " --target proj:1 --out " + f.dir + "/never.safetensors",
                  "a damaged or crafted file");
}

// A model whose forward never ends (tests/data/bad/endless.pt) is bounded by --timeout: one
// error line, exit 1, well within the test's own limit, and nothing written.
TEST(BadInput, AnEndlessForwardIsBoundedByTimeout) {
    const auto& f = files();
    const auto before = std::distance(fs::directory_iterator(f.dir), fs::directory_iterator());
    const auto r = cxtest::runCx("score " + std::string(CX_TEST_DATA) + "/bad/endless.pt --images " + f.images +
                                     " --target b:1 --timeout 2 --out " + f.dir + "/never.safetensors",
                                 60);
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_NE(r.err.find("did not finish within 2 s (--timeout)"), std::string::npos) << r.err;
    EXPECT_EQ(std::distance(fs::directory_iterator(f.dir), fs::directory_iterator()), before);
    expectRefused("inspect " + model("chain") + " --timeout 0", "--timeout expects whole seconds");
}

// Values that mean nothing where a number must mean something: float class labels, NaN task
// inputs, NaN mask logits; images whose header claims more pixels than the limit; resize and
// crop sizes past it.
TEST(BadInput, ValuesThatMeanNothingInTasksMasksAndImages) {
    const auto& f = files();
    const std::string dir = f.dir;
    const std::string out = " --out " + dir + "/never.safetensors";
    auto [header, data] = readRaw(f.small);
    const uint64_t pixelBytes = header["images"]["data_offsets"][1];
    const std::string floatLabels = dir + "/float_labels.safetensors";
    {
        auto h = header;
        h["labels"] = {{"dtype", "F32"}, {"shape", {6}}, {"data_offsets", {pixelBytes, pixelBytes + 24}}};
        writeRaw(floatLabels, h, data.substr(0, pixelBytes) + std::string(24, '\0'));
    }
    expectRefused("train-mask " + model("chain") + " --task " + floatLabels + out, "integer class or token indices");
    expectRefused("score " + model("chain") + " --images " + floatLabels + " --target features.5:1" + out,
                  "'labels' must be integer class indices");
    const std::string nanTask = dir + "/nan_task.safetensors";
    {
        auto d = data;
        const float nan = std::nanf("");
        d.replace(4, 4, reinterpret_cast<const char*>(&nan), 4);
        writeRaw(nanTask, header, d);
    }
    expectRefused("train-mask " + model("chain") + " --task " + nanTask + out, "'images' holds NaN or infinite values");
    // A learned mask whose logits hold a NaN.
    const std::string learned = dir + "/learned.safetensors", nanLogits = dir + "/nan_logits.safetensors";
    const std::string threeClasses = dir + "/three_classes.safetensors";  // chain has 3 outputs
    {
        std::string labels;
        for (int64_t i = 0; i < 6; ++i) {
            const int64_t label = i % 3;
            labels.append(reinterpret_cast<const char*>(&label), 8);
        }
        writeRaw(threeClasses, header, data.substr(0, pixelBytes) + labels);
    }
    const auto trained = cxtest::runCx("train-mask " + model("chain") + " --task " + threeClasses + " --epochs 1 --out " + learned);
    ASSERT_EQ(trained.code, 0) << trained.err;
    {
        auto [h, d] = readRaw(learned);
        const uint64_t at = h["logit/features.0.weight"]["data_offsets"][0];
        const float nan = std::nanf("");
        d.replace(at, 4, reinterpret_cast<const char*>(&nan), 4);
        writeRaw(nanLogits, h, d);
    }
    expectRefused("evaluate " + model("chain") + " --mask " + nanLogits + " --task " + threeClasses, "logit/features.0.weight holds NaN");
    // An image folder with a PNG whose header claims 10000 x 10000 pixels (and has no pixels).
    const std::string folder = dir + "/huge_png";
    fs::create_directory(folder);
    fs::copy_file(std::string(CX_TEST_DATA) + "/bad/huge_header.png", folder + "/a.png");
    expectRefused("score " + model("chain") + " --images " + folder + " --target features.5:1" + out, "more than the limit");
    fs::remove_all(folder);
    for (const std::string& option : {"--resize 99999", "--crop 4294967520", "--resize -3"})
        expectRefused("score " + model("chain") + " --images " + f.images + " --target features.5:1 " + option + out,
                      "must be 0 (none) or a side of at most 16384 pixels");
    for (const auto& file : {floatLabels, nanTask, threeClasses, learned, nanLogits}) fs::remove(file);
}

// A file on which LibTorch's own reader misbehaves (tests/data/bad/parser_crash.pt, found by
// fuzz_archive: its TorchScript source sends ScriptTypeParser::parseClassConstant through a
// bad pointer; under ASan it is a SIGSEGV, in a plain build the parser may throw instead). It is
// opened by a child `cx inspect` first, so either way it is refused with a reason, never a
// crash (the mechanism itself: ModelProbe.* in the engine tests).
TEST(BadInput, AnArchiveThatBreaksLibTorchsReaderIsRefused) {
    const auto& f = files();
    const std::string crash = std::string(CX_TEST_DATA) + "/bad/parser_crash.pt";
    for (const std::string& cmd : {"inspect " + crash, "magnitude " + crash + " --keep 0.5 --out " + f.dir + "/never.safetensors",
                                   "score " + crash + " --images " + f.images + " --target features.5:1 --out " + f.dir +
                                       "/never.safetensors"})
        expectRefused(cmd, "parser_crash.pt");
    // tests/data/bad/report_crash.pt (also found by fuzz_archive): formatting LibTorch's error
    // report for its source throws inside what(), which is noexcept: std::terminate. The child
    // dies of it; cx refuses the file.
    const std::string report = std::string(CX_TEST_DATA) + "/bad/report_crash.pt";
    expectRefused("inspect " + report, "LibTorch's reader crashed on this file (signal 6, in a separate process)");
    expectRefused("magnitude " + report + " --keep 0.5 --out " + f.dir + "/never.safetensors", "LibTorch's reader crashed");
}
