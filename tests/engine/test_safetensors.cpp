// The project's own safetensors reader/writer against hand-made byte strings.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "engine/io/atomic_file.h"
#include "engine/io/file_read.h"
#include "engine/io/safetensors.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

// 8-byte little-endian header length + header + data, exactly as the format defines it.
std::vector<uint8_t> handMade(const std::string& header, const std::vector<uint8_t>& data, int64_t claimedLength = -1) {
    const uint64_t n = claimedLength >= 0 ? uint64_t(claimedLength) : header.size();
    std::vector<uint8_t> out;
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

std::vector<uint8_t> floats(std::initializer_list<float> values) {
    std::vector<uint8_t> out(values.size() * 4);
    std::memcpy(out.data(), std::data(values), out.size());
    return out;
}

std::string parseError(const std::vector<uint8_t>& bytes) {
    auto r = parseSafetensors(bytes.data(), bytes.size(), "test.safetensors");
    EXPECT_FALSE(r.ok());
    if (r.ok()) return "";
    EXPECT_EQ(r.error().code, ErrorCode::InvalidInput);
    return r.error().message;
}

}  // namespace

TEST(Safetensors, ReadsAHandMadeFile) {
    const auto bytes = handMade(
        R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"m":{"dtype":"U8","shape":[3],"data_offsets":[16,19]},"__metadata__":{"format":"cx-mask/1"}})",
        [] {
            auto d = floats({1.f, -2.f, 3.5f, 0.f});
            d.insert(d.end(), {1, 0, 1});
            return d;
        }());
    auto r = parseSafetensors(bytes.data(), bytes.size(), "x");
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& f = r.value();
    EXPECT_EQ(f.metadata.at("format"), "cx-mask/1");
    ASSERT_EQ(f.tensors.size(), 2u);
    const auto& w = f.tensors.at("w");
    EXPECT_EQ(w.dtype, DType::F32);
    EXPECT_EQ(w.shape, (std::vector<int64_t>{2, 2}));
    float values[4];
    std::memcpy(values, w.data.data(), 16);
    EXPECT_EQ(values[2], 3.5f);
    EXPECT_EQ(f.tensors.at("m").data, (std::vector<uint8_t>{1, 0, 1}));
}

TEST(Safetensors, WriteThenReadRoundTrip) {
    SafetensorsFile file;
    file.metadata["granularity"] = "kernel";
    file.tensors["score/a.weight"] = {DType::F32, {2, 3}, floats({1, 2, 3, 4, 5, 6})};
    file.tensors["mask/a.weight"] = {DType::U8, {2, 3}, {1, 0, 1, 1, 0, 0}};
    file.tensors["empty"] = {DType::I64, {0}, {}};
    const std::string path = cx::test::tempDir() + "/round.safetensors";
    ASSERT_TRUE(writeSafetensors(path, file).ok());
    auto back = readSafetensors(path);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back.value().metadata, file.metadata);
    for (const auto& [k, t] : file.tensors) {
        EXPECT_EQ(back.value().tensors.at(k).shape, t.shape) << k;
        EXPECT_EQ(back.value().tensors.at(k).data, t.data) << k;
        EXPECT_EQ(back.value().tensors.at(k).dtype, t.dtype) << k;
    }
    // The header is padded so the data starts 8-byte aligned.
    auto bytes = serializeSafetensors(file);
    uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    EXPECT_EQ((8 + n) % 8, 0u);
}

TEST(Safetensors, TruncatedHeaderLength) {
    const std::vector<uint8_t> bytes = {1, 0, 0};
    EXPECT_NE(parseError(bytes).find("too short"), std::string::npos);
}

TEST(Safetensors, HeaderLongerThanTheFile) {
    auto bytes = handMade(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", floats({1}), 500);
    EXPECT_NE(parseError(bytes).find("longer than the file"), std::string::npos);
}

TEST(Safetensors, OffsetsOutOfRange) {
    auto bytes = handMade(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", floats({1}));
    const auto message = parseError(bytes);
    EXPECT_NE(message.find("outside the data"), std::string::npos);
    EXPECT_NE(message.find("'w'"), std::string::npos);
}

TEST(Safetensors, OffsetsThatDoNotMatchTheShape) {
    auto bytes = handMade(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", floats({1, 2}));
    EXPECT_NE(parseError(bytes).find("needs 12"), std::string::npos);
}

TEST(Safetensors, UnknownDtype) {
    auto bytes = handMade(R"({"w":{"dtype":"F128","shape":[1],"data_offsets":[0,4]}})", floats({1}));
    EXPECT_NE(parseError(bytes).find("unknown dtype F128"), std::string::npos);
}

TEST(Safetensors, HeaderThatIsNotJson) {
    auto bytes = handMade("{not json", {});
    EXPECT_NE(parseError(bytes).find("not a JSON object"), std::string::npos);
}

TEST(Safetensors, NegativeShape) {
    auto bytes = handMade(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", floats({1}));
    EXPECT_NE(parseError(bytes).find("negative"), std::string::npos);
}

TEST(Safetensors, MissingFile) {
    auto r = readSafetensors("/nonexistent/x.safetensors");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("/nonexistent/x.safetensors"), std::string::npos);
}

TEST(AtomicWrite, FailureLeavesTheOldFileAndNoTemporary) {
    const std::string dir = cx::test::tempDir();
    const std::string path = dir + "/kept.safetensors";
    SafetensorsFile file;
    file.tensors["a"] = {DType::U8, {1}, {7}};
    ASSERT_TRUE(writeSafetensors(path, file).ok());
    auto bad = writeSafetensors(dir + "/missing-folder/x.safetensors", file);
    EXPECT_FALSE(bad.ok());
    EXPECT_TRUE(readSafetensors(path).ok());
    int entries = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
    EXPECT_EQ(entries, 1);
}

// Inputs larger than the limit are refused before anything is read, naming the way to raise it.
TEST(FileRead, TheInputLimitIsCheckedAgainstTheFilesSize) {
    const std::string path = cx::test::tempDir() + "/hundred.bin";
    ASSERT_TRUE(writeFileAtomic(path, std::string(100, 'x')).ok());
    ASSERT_EQ(::setenv("CX_MAX_INPUT_BYTES", "50", 1), 0);
    auto refused = readInputFile(path, "test file");
    ::unsetenv("CX_MAX_INPUT_BYTES");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("CX_MAX_INPUT_BYTES"), std::string::npos) << refused.error().message;
    auto read = readInputFile(path, "test file");
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read.value().size(), 100u);
}

// A temporary file left by a killed write is removed by the next write of that target once it
// is an hour old; a fresh one (a write in progress) and other files are left alone.
TEST(AtomicWrite, StaleTemporaryFilesOfTheTargetAreRemoved) {
    namespace fs = std::filesystem;
    const std::string dir = cx::test::tempDir();
    const std::string stale = dir + "/.out.csv.tmp12345", fresh = dir + "/.out.csv.tmp999", other = dir + "/.other.csv.tmp1";
    for (const auto& p : {stale, fresh, other}) ASSERT_TRUE(writeFileAtomic(p, std::string("half")).ok());
    const auto old = fs::file_time_type::clock::now() - std::chrono::hours(2);
    fs::last_write_time(stale, old);
    fs::last_write_time(other, old);
    ASSERT_TRUE(writeFileAtomic(dir + "/out.csv", std::string("a,b\n")).ok());
    EXPECT_FALSE(fs::exists(stale));
    EXPECT_TRUE(fs::exists(fresh));
    EXPECT_TRUE(fs::exists(other));
    EXPECT_EQ(fs::file_size(dir + "/out.csv"), 4u);
}
