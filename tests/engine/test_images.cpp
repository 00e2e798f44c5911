// Image data sets: PNG folders (flat and with class sub-folders), safetensors image files,
// preprocessing values, and the errors for unusable inputs.
#include <filesystem>

#include <gtest/gtest.h>

#include "engine/data/internal/image_set.h"
#include "engine/io/file_read.h"
#include "engine/io/internal/tensor_io.h"
#include "engine/io/safetensors.h"
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

std::vector<uint8_t> badFile(const std::string& name) {
    auto bytes = readInputFile(std::string(CX_TEST_DATA) + "/bad/" + name, "image");
    EXPECT_TRUE(bytes.ok());
    return bytes.ok() ? bytes.value() : std::vector<uint8_t>{};
}

std::string decodeError(const std::vector<uint8_t>& bytes, const ImageOptions& options) {
    auto r = decodeImage(bytes, "x.png", options);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message;
}

}  // namespace

// A header claiming a huge image is refused before the decoder allocates its pixels; so is a
// resize that would make one, any file that is not PNG or JPEG by its signature, and a file that
// ends inside its image.
TEST(Images, HugeOrForeignImagesAreRefusedBeforeDecoding) {
    // tests/data/bad/*_header.png: a signature and an IHDR chunk, no pixels (make_bad_archives.py).
    EXPECT_NE(decodeError(badFile("huge_header.png"), raw()).find("10000x10000 pixels, more than the limit of 67108864"),
              std::string::npos);
    EXPECT_NE(decodeError(badFile("wide_header.png"), raw()).find("20000x10 pixels"), std::string::npos);
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
    // Found by fuzz_image: a JPEG whose huffman table lists more than 256 codes, on which
    // stb_image 2.27 (the decoder before libjpeg-turbo) wrote past its table.
    EXPECT_NE(decodeError(badFile("stb_huffman_overflow.jpg"), raw()).find("Bogus Huffman table definition"), std::string::npos);
    auto cut = bytes.value();
    cut.resize(cut.size() / 2);
    EXPECT_NE(decodeError(cut, raw()).find("cannot decode image x.png"), std::string::npos);
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

// The decoder gives exactly PIL's convert("RGB") pixels for the encodings researchers' folders
// hold (tests/data/make_test_images.py): JPEG at two chroma subsamplings and grey, PNG RGB, RGBA
// (alpha dropped), palette with transparency, grey and grey + alpha; 16-bit PNG keeps the high byte.
TEST(Images, DecodedPixelsEqualPils) {
    const std::string dir = std::string(CX_TEST_DATA) + "/images/";
    auto expected = readSafetensors(dir + "pil_rgb.safetensors");
    ASSERT_TRUE(expected.ok()) << expected.error().message;
    int compared = 0;
    for (const auto& [name, blob] : expected.value().tensors) {
        auto want = blobToTensor(blob, name).take();
        auto bytes = readInputFile(dir + (name == "grey16_high" ? "grey16.png" : name), "image");
        ASSERT_TRUE(bytes.ok()) << name;
        auto got = decodeImage(bytes.value(), name, raw());
        ASSERT_TRUE(got.ok()) << name << ": " << got.error().message;
        auto pixels = (got.value() * 255).round().permute({1, 2, 0});  // H x W x 3, 0..255
        if (name == "grey16_high") want = want.unsqueeze(2).expand({-1, -1, 3});
        ASSERT_EQ(pixels.sizes(), want.sizes()) << name;
        EXPECT_TRUE(torch::equal(pixels, want)) << name << ": max difference "
                                                << (pixels - want).abs().max().item<float>();
        ++compared;
    }
    EXPECT_EQ(compared, 9);
}
