#include "engine/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include <fcntl.h>
#include <unistd.h>

namespace cx::engine {

Status writeFileAtomic(const std::string& path, const void* data, size_t size) {
    namespace fs = std::filesystem;
    const fs::path target(path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return ioError("folder does not exist: " + dir.string());
    const std::string tmp =
        (dir / ("." + target.filename().string() + ".tmp" + std::to_string(std::random_device{}()))).string();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return ioError("cannot write " + path + ": " + std::strerror(errno));
    const char* bytes = static_cast<const char*>(data);
    size_t written = 0;
    while (written < size) {
        const ssize_t n = ::write(fd, bytes + written, size - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string why = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            return ioError("cannot write " + path + ": " + why);
        }
        written += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        return ioError("cannot flush " + path);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return ioError("cannot replace " + path + ": " + why);
    }
    return Done{};
}

Status writeFileAtomic(const std::string& path, const std::string& text) {
    return writeFileAtomic(path, text.data(), text.size());
}

}  // namespace cx::engine
