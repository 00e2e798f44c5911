#pragma once
// Running the real `cx` binary from tests: exit code, stdout and stderr, under a time limit so a
// hang fails the test instead of the run (a kill by the limit or a signal is never exit 2).
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

namespace cxtest {

struct Run {
    int code = -1;  // the exit status; 124 or 128 + N: stopped by the time limit or signal N
    std::string out, err;
};

inline std::string cliTempDir() {
    auto dir = std::filesystem::temp_directory_path() / ("cx_cli_" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    return dir.string();
}

inline Run runCx(const std::string& args, int seconds = 300) {
    static const std::string dir = cliTempDir();
    const std::string errFile = dir + "/stderr.txt";
    const std::string command =
        "timeout -s KILL " + std::to_string(seconds) + " " + std::string(CX_BINARY) + " " + args + " 2>" + errFile;
    Run run;
    FILE* pipe = popen(command.c_str(), "r");
    std::array<char, 4096> buffer{};
    size_t n = 0;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.out.append(buffer.data(), n);
    const int status = pclose(pipe);
    run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(errFile);
    run.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return run;
}

}  // namespace cxtest
