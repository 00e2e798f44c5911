// Image data sets: PNG folders (flat and with class sub-folders), safetensors image files,
// preprocessing values, and the errors for unusable inputs.
#include <filesystem>

#include <gtest/gtest.h>

#include "engine/file_read.h"
#include "engine/internal/image_set.h"
#include "engine/internal/tensor_io.h"
#include "engine/safetensors.h"
#include "test_util.h"

using namespace cx::engine;
namespace fs = std::filesystem;

namespace {

ImageOptions raw() {
    ImageOptions o;
    o.resize = 0;
    o.crop = 0;
    o.normalize = false;
    return o;
}

torch::Tensor gradientImage(int h, int w, float shift) {
    return (torch::arange(h * w, torch::kFloat32).view({1, h, w}).repeat({3, 1, 1}) / float(h * w) + shift).clamp(0, 1);
}

}  // namespace

TEST(Images, ClassFoldersGiveLabelsInSortedOrder) {
    const std::string dir = cx::test::tempDir();
    for (const std::string cls : {"dogs", "cats"}) {
        fs::create_directories(dir + "/" + cls);
        for (int i = 0; i < 2; ++i)
            ASSERT_TRUE(savePng(dir + "/" + cls + "/" + std::to_string(i) + ".png", gradientImage(8, 10, 0.1f * i)).ok());
    }
    auto set = loadImages(dir, raw());
    ASSERT_TRUE(set.ok()) << set.error().message;
    EXPECT_EQ(set.value().info.classNames, (std::vector<std::string>{"cats", "dogs"}));
    EXPECT_EQ(set.value().images.sizes(), (std::vector<int64_t>{4, 3, 8, 10}));
    EXPECT_EQ(set.value().labels[0].item<int64_t>(), 0);
    EXPECT_EQ(set.value().labels[3].item<int64_t>(), 1);
    // PNG stores 8 bits: the decoded value is within half a step of the original.
    EXPECT_LT((set.value().images[0] - gradientImage(8, 10, 0)).abs().max().item<float>(), 0.5f / 255 + 1e-6);
}

TEST(Images, ResizeCropAndNormalise) {
    const std::string dir = cx::test::tempDir();
    ASSERT_TRUE(savePng(dir + "/a.png", torch::full({3, 20, 40}, 0.6f)).ok());
    ImageOptions o;
    o.resize = 10;
    o.crop = 8;
    auto set = loadImages(dir, o);
    ASSERT_TRUE(set.ok()) << set.error().message;
    EXPECT_EQ(set.value().images.sizes(), (std::vector<int64_t>{1, 3, 8, 8}));
    const float pixel = std::round(0.6f * 255) / 255;
    EXPECT_NEAR(set.value().images[0][0][4][4].item<float>(), (pixel - 0.485f) / 0.229f, 1e-4);
    EXPECT_NEAR(set.value().images[0][2][0][0].item<float>(), (pixel - 0.406f) / 0.225f, 1e-4);
}

TEST(Images, MixedSizesWithoutResizeAreRefused) {
    const std::string dir = cx::test::tempDir();
    ASSERT_TRUE(savePng(dir + "/a.png", gradientImage(8, 8, 0)).ok());
    ASSERT_TRUE(savePng(dir + "/b.png", gradientImage(9, 8, 0)).ok());
    auto set = loadImages(dir, raw());
    ASSERT_FALSE(set.ok());
    EXPECT_NE(set.error().message.find("b.png"), std::string::npos);
}

TEST(Images, CorruptImageNamesTheFile) {
    const std::string dir = cx::test::tempDir();
    std::ofstream(dir + "/broken.png") << "not a png";
    auto set = loadImages(dir, raw());
    ASSERT_FALSE(set.ok());
    EXPECT_NE(set.error().message.find("broken.png"), std::string::npos);
}

TEST(Images, EmptyFolder) {
    auto set = loadImages(cx::test::tempDir(), raw());
    ASSERT_FALSE(set.ok());
    EXPECT_NE(set.error().message.find("no PNG or JPEG"), std::string::npos);
}

TEST(Images, SafetensorsFileUsedAsIs) {
    const std::string path = cx::test::tempDir() + "/set.safetensors";
    ImageSet set;
    set.images = torch::randn({5, 3, 4, 4});
    set.labels = torch::arange(5, torch::kInt64);
    set.info.classNames = {"a", "b"};
    ASSERT_TRUE(saveImages(path, set).ok());
    auto back = loadImages(path, ImageOptions{});  // folder options do not apply
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(torch::equal(back.value().images, set.images));
    EXPECT_TRUE(torch::equal(back.value().labels, set.labels));
    EXPECT_EQ(back.value().info.classNames, set.info.classNames);
}

TEST(Images, SafetensorsErrors) {
    const std::string dir = cx::test::tempDir();
    auto write = [&](const std::string& name, const std::string& key, const torch::Tensor& t) {
        SafetensorsFile f;
        f.tensors[key] = tensorToBlob(t);
        EXPECT_TRUE(writeSafetensors(dir + "/" + name, f).ok());
        auto r = loadImages(dir + "/" + name, raw());
        EXPECT_FALSE(r.ok());
        return r.ok() ? std::string() : r.error().message;
    };
    EXPECT_NE(write("key.safetensors", "pixels", torch::zeros({1, 3, 2, 2})).find("no tensor named 'images'"), std::string::npos);
    EXPECT_NE(write("dtype.safetensors", "images", torch::zeros({1, 3, 2, 2}, torch::kFloat64)).find("float32"), std::string::npos);
    EXPECT_NE(write("rank.safetensors", "images", torch::zeros({3, 2, 2})).find("N x C x H x W"), std::string::npos);
    auto nan = torch::zeros({1, 3, 2, 2});
    nan[0][1][1][1] = std::nanf("");
    EXPECT_NE(write("nan.safetensors", "images", nan).find("NaN"), std::string::npos);
}

namespace {

// A PNG that is only a signature and an IHDR chunk claiming width x height (no pixels): what a
// decoder reads first. CRCs are not checked by the header read.
std::vector<uint8_t> pngHeader(uint32_t width, uint32_t height) {
    std::vector<uint8_t> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    for (uint32_t v : {width, height})
        for (int shift = 24; shift >= 0; shift -= 8) b.push_back(uint8_t(v >> shift));
    for (uint8_t v : {8, 2, 0, 0, 0}) b.push_back(v);  // 8-bit RGB, no interlace
    for (int i = 0; i < 4; ++i) b.push_back(0);      // CRC
    return b;
}

std::string decodeError(const std::vector<uint8_t>& bytes, const ImageOptions& options) {
    auto r = decodeImage(bytes, "x.png", options);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message;
}

}  // namespace

// A header claiming a huge image is refused before the decoder allocates its pixels; so is a
// resize that would make one, and any file that is not PNG or JPEG by its signature.
TEST(Images, HugeOrForeignImagesAreRefusedBeforeDecoding) {
    EXPECT_NE(decodeError(pngHeader(10000, 10000), raw()).find("10000x10000 pixels, more than the limit of 67108864"),
              std::string::npos);
    // stb_image's own header check (3 x 10^10 bytes is past its 2^30) refuses this one first.
    EXPECT_NE(decodeError(pngHeader(100000, 100000), raw()).find("cannot decode image x.png"), std::string::npos);
    EXPECT_NE(decodeError(pngHeader(20000, 10), raw()).find("20000x10 pixels"), std::string::npos);
    const std::string dir = cx::test::tempDir();
    ASSERT_TRUE(savePng(dir + "/small.png", gradientImage(4, 6, 0.1f)).ok());
    auto bytes = readInputFile(dir + "/small.png", "image");
    ASSERT_TRUE(bytes.ok());
    ImageOptions grow = raw();
    grow.resize = 9000;  // 4 x 6 -> 9000 x 13500
    EXPECT_NE(decodeError(bytes.value(), grow).find("would exceed the limit"), std::string::npos);
    grow.resize = 8;
    auto fits = decodeImage(bytes.value(), "small.png", grow);
    ASSERT_TRUE(fits.ok()) << fits.error().message;
    EXPECT_EQ(fits.value().sizes(), (std::vector<int64_t>{3, 8, 12}));
    const std::vector<uint8_t> bmp = {'B', 'M', 0x3a, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 0x28, 0, 0, 0};
    EXPECT_NE(decodeError(bmp, raw()).find("not a PNG or JPEG file"), std::string::npos);
}

// Labels in an image file are integer class indices (or -1); floats and other negatives are
// refused rather than truncated.
TEST(Images, LabelsMustBeClassIndices) {
    const std::string dir = cx::test::tempDir();
    auto load = [&](const torch::Tensor& labels) {
        SafetensorsFile f;
        f.tensors["images"] = tensorToBlob(torch::zeros({2, 3, 2, 2}));
        f.tensors["labels"] = tensorToBlob(labels);
        EXPECT_TRUE(writeSafetensors(dir + "/l.safetensors", f).ok());
        return loadImages(dir + "/l.safetensors", raw());
    };
    EXPECT_TRUE(load(torch::tensor({1, -1}, torch::kInt64)).ok());
    auto floats = load(torch::tensor({0.5f, 1.0f}));
    ASSERT_FALSE(floats.ok());
    EXPECT_NE(floats.error().message.find("'labels' must be integer class indices"), std::string::npos);
    auto negative = load(torch::tensor({0, -2}, torch::kInt64));
    ASSERT_FALSE(negative.ok());
    EXPECT_NE(negative.error().message.find("or -1 for unlabelled"), std::string::npos);
}
