#include "engine/io/atomic_file.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cx::engine {
namespace {

namespace fs = std::filesystem;

// Temp files are ".NAME.tmp" + random digits beside the target. One left by a kill (between
// create and rename) is removed by the next write of the same target once it is an hour old,
// so that a concurrent writer's file is never touched.
std::string tempPrefix(const fs::path& target) { return "." + target.filename().string() + ".tmp"; }

void removeStaleTemps(const fs::path& dir, const fs::path& target) {
    const std::string prefix = tempPrefix(target);
    std::error_code ec;
    const auto now = fs::file_time_type::clock::now();
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) continue;
        if (name.find_first_not_of("0123456789", prefix.size()) != std::string::npos) continue;
        std::error_code statEc;
        if (!it->is_regular_file(statEc) || it->is_symlink(statEc)) continue;
        const auto modified = fs::last_write_time(it->path(), statEc);
        if (!statEc && now - modified > std::chrono::hours(1)) fs::remove(it->path(), statEc);
    }
}

Status fail(int fd, const std::string& tmp, const std::string& what) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    return ioError(what + ": " + why);
}

}  // namespace

Status writeFileAtomic(const std::string& path, const void* data, size_t size) {
    const fs::path target(path);
    if (target.filename().empty()) return invalidInput("the output path names a folder, not a file: " + path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return ioError("folder does not exist: " + dir.string());
    // Only a regular file is ever replaced (never a device, FIFO, folder or symlink), and it
    // keeps its permissions.
    mode_t mode = 0644;
    struct stat existing {};
    if (::lstat(path.c_str(), &existing) == 0) {
        if (!S_ISREG(existing.st_mode))
            return invalidInput("will not replace " + path + ": it exists and is not a regular file" +
                                (S_ISLNK(existing.st_mode) ? " (a symbolic link)" : ""));
        mode = existing.st_mode & 07777;
    } else if (errno != ENOENT) {
        return ioError("cannot check " + path + ": " + std::strerror(errno));
    }
    removeStaleTemps(dir, target);
    // O_EXCL with O_CREAT never follows a symlink planted at the temp name; it fails instead.
    std::string tmp;
    int fd = -1;
    std::random_device random;
    for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
        tmp = (dir / (tempPrefix(target) + std::to_string(random()))).string();
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) return ioError("cannot write " + path + ": " + std::strerror(errno));
    }
    if (fd < 0) return ioError("cannot create a temporary file beside " + path);
    const char* bytes = static_cast<const char*>(data);
    size_t written = 0;
    while (written < size) {
        const ssize_t n = ::write(fd, bytes + written, size - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return fail(fd, tmp, "cannot write " + path);
        }
        written += static_cast<size_t>(n);
    }
    if (::fchmod(fd, mode) != 0) return fail(fd, tmp, "cannot set the permissions of " + path);
    if (::fsync(fd) != 0) return fail(fd, tmp, "cannot flush " + path);
    if (::close(fd) != 0) return fail(-1, tmp, "cannot flush " + path);
    if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(-1, tmp, "cannot replace " + path);
    // The rename itself reaches the disk with the folder.
    if (const int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    return Done{};
}

Status writeFileAtomic(const std::string& path, const std::string& text) {
    return writeFileAtomic(path, text.data(), text.size());
}

}  // namespace cx::engine
