// The model prober (engine/model/internal/model_probe.h): a model file is opened by a child process
// first, and a file that kills or is refused by the child is refused without being read here. The child is a
// stand-in script, so that a crash is certain: the real prober is `cx inspect`.
#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "engine/core/runtime.h"
#include "engine/model/model.h"
#include "test_util.h"

using namespace cx::engine;

namespace {

// A prober that appends its arguments to `log`, then ends as `how` says.
std::string writeProber(const std::string& dir, const std::string& how, const std::string& log) {
    const std::string path = dir + "/prober.sh";
    std::ofstream(path) << "#!/bin/sh\necho \"$@\" >> '" << log << "'\n" << how << "\n";
    ::chmod(path.c_str(), 0755);
    return path;
}

int lines(const std::string& path) {
    std::ifstream in(path);
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
}

struct ProberOff {
    ~ProberOff() { setModelProber(""); }
};

}  // namespace

TEST(ModelProbe, AFileThatKillsTheProberIsRefusedWithTheSignal) {
    const ProberOff off;
    const std::string dir = cx::test::tempDir(), log = dir + "/calls";
    setModelProber(writeProber(dir, "kill -SEGV $$", log));
    auto m = Model::load(cx::test::modelPath("chain"));
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::InvalidInput);
    EXPECT_NE(m.error().message.find("LibTorch's reader crashed on this file (signal 11"), std::string::npos)
        << m.error().message;
    EXPECT_EQ(lines(log), 1);
    std::ifstream calls(log);
    std::string call;
    std::getline(calls, call);
    EXPECT_EQ(call, "inspect " + cx::test::modelPath("chain"));
}

TEST(ModelProbe, AProberThatEndsNormallyLetsTheLoadGoOnceAFile) {
    const ProberOff off;
    const std::string dir = cx::test::tempDir(), log = dir + "/calls";
    setModelProber(writeProber(dir, "exit 0", log));
    for (int i = 0; i < 3; ++i) {
        auto m = Model::load(cx::test::modelPath("concat"));
        ASSERT_TRUE(m.ok()) << m.error().message;
    }
    EXPECT_EQ(lines(log), 1);  // probed once: the same path, size and time are not probed again
    setModelProber("");
    EXPECT_TRUE(Model::load(cx::test::modelPath("residual")).ok());
    EXPECT_EQ(lines(log), 1);
}

// LibTorch's reader does not fail the same way every time on a crafted file (on
// tests/data/bad/parser_crash.pt it refuses the file in one process and overflows its stack in
// another), so a file the prober refused is never read here: the prober's error is the load's,
// even for a file this process could read, and it is remembered for the file.
TEST(ModelProbe, AFileTheProberRefusesIsRefusedWithItsMessageAndNotReadHere) {
    const ProberOff off;
    const std::string dir = cx::test::tempDir(), log = dir + "/calls";
    setModelProber(writeProber(dir, "echo 'warning: first' >&2; echo 'error: refused by the prober' >&2; exit 2", log));
    for (int i = 0; i < 2; ++i) {
        auto m = Model::load(cx::test::modelPath("concat"));
        ASSERT_FALSE(m.ok());
        EXPECT_EQ(m.error().code, ErrorCode::InvalidInput);
        EXPECT_EQ(m.error().message, "refused by the prober");
    }
    EXPECT_EQ(lines(log), 1);  // the refusal is remembered for this path, size and time
}

// Without a prober the engine never formats LibTorch's source-located error report itself
// (formatting it can terminate the process on a crafted archive: tests/data/bad/report_crash.pt).
TEST(ModelProbe, WithoutAProberAnUnformattableReportIsStillAnError) {
    auto m = Model::load(std::string(CX_TEST_DATA) + "/bad/report_crash.pt");
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.error().message.find("its TorchScript code does not compile here"), std::string::npos) << m.error().message;
}
