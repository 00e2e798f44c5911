#include "engine/model/internal/model_probe.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "engine/core/job.h"
#include "engine/core/runtime.h"

extern char** environ;

namespace cx::engine {
namespace {

std::mutex g_mutex;
std::string g_prober;
// Files the prober read: path, size, modification time (seconds and nanoseconds).
using FileKey = std::tuple<std::string, off_t, time_t, long>;
std::set<FileKey> g_probed;                    // read without an error
std::map<FileKey, std::string> g_refused;      // refused by the prober, with its message
std::map<std::string, std::string> g_errors;  // path -> the prober's last stderr line

// The prober's `error: MESSAGE` line as this process's message. Any other last line means the
// child did not end through cx's own error path (a sanitizer or the C++ runtime stopped it and
// exited non-zero without a signal): the file is refused by name, with the child's exit code.
std::string refusal(const std::string& line, const std::string& path, int exitCode) {
    if (line.rfind("error: ", 0) == 0) return line.substr(7);
    return path + ": LibTorch's reader failed on this file (exit code " + std::to_string(exitCode) +
           ", in a separate process): a damaged or crafted TorchScript archive, refused";
}

std::string lastLine(const std::string& text) {
    std::string line, last;
    for (char c : text) {
        if (c == '\n') {
            if (!line.empty()) last = line;
            line.clear();
        } else {
            line += c;
        }
    }
    return line.empty() ? last : line;
}

// The prober's environment: this one, with the probe turned off in the child (it must not
// probe again).
std::vector<char*> childEnvironment(std::vector<std::string>& storage) {
    for (char** e = environ; *e; ++e)
        if (std::strncmp(*e, kNoProbeVariable, std::strlen(kNoProbeVariable)) != 0) storage.emplace_back(*e);
    storage.push_back(std::string(kNoProbeVariable) + "=1");
    std::vector<char*> out;
    for (auto& s : storage) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

}  // namespace

void setModelProber(const std::string& cxBinary) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_prober = std::getenv(kNoProbeVariable) ? std::string() : cxBinary;
}

Status probeModelFile(const std::string& path) {
    std::string prober;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return Done{};  // the reader gives the error
    const auto key = std::make_tuple(path, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        if (g_prober.empty() || g_probed.count(key)) return Done{};
        if (const auto refused = g_refused.find(key); refused != g_refused.end()) return invalidInput(refused->second);
        prober = g_prober;
    }
    int pipeFds[2];
    if (::pipe2(pipeFds, O_CLOEXEC | O_NONBLOCK) != 0) return Done{};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    for (int fd : {STDIN_FILENO, STDOUT_FILENO})
        posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDERR_FILENO);
    std::string arg0 = prober, command = "inspect", file = path;
    char* argv[] = {arg0.data(), command.data(), file.data(), nullptr};
    std::vector<std::string> storage;
    auto env = childEnvironment(storage);
    pid_t child = 0;
    const int spawned = posix_spawn(&child, prober.c_str(), &actions, nullptr, argv, env.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipeFds[1]);
    if (spawned != 0) {  // no prober to run (moved away): load as before
        ::close(pipeFds[0]);
        return Done{};
    }
    std::string output;
    auto drain = [&] {
        char buffer[4096];
        ssize_t n = 0;
        while ((n = ::read(pipeFds[0], buffer, sizeof buffer)) > 0)
            if (output.size() < 65536) output.append(buffer, size_t(n));
    };
    int status = 0;
    while (true) {
        drain();
        const pid_t done = ::waitpid(child, &status, WNOHANG);
        if (done == child) break;
        if (done < 0 && errno != EINTR) {
            ::close(pipeFds[0]);
            return Done{};
        }
        if (threadInterrupted()) {
            ::kill(child, SIGKILL);
            ::waitpid(child, &status, 0);
            ::close(pipeFds[0]);
            return cancelledError();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    drain();
    ::close(pipeFds[0]);
    if (WIFSIGNALED(status))
        return invalidInput(path + ": LibTorch's reader crashed on this file (signal " + std::to_string(WTERMSIG(status)) +
                            ", in a separate process): a damaged or crafted TorchScript archive, refused");
    std::lock_guard<std::mutex> lock(g_mutex);
    g_errors[path] = lastLine(output);
    // The reader's failures on crafted files are not all repeatable (its parser overflows its
    // stack at a depth that moves with the stack's placement), so a file the prober refused is
    // never read here: its refusal is this load's error.
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        const std::string message = refusal(g_errors[path], path, WEXITSTATUS(status));
        g_refused[key] = message;
        return invalidInput(message);
    }
    g_probed.insert(key);
    return Done{};
}

std::string probedError(const std::string& path) {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_errors.find(path);
    return it == g_errors.end() ? std::string() : it->second;
}

bool isModelProber() { return std::getenv(kNoProbeVariable) != nullptr; }

}  // namespace cx::engine
