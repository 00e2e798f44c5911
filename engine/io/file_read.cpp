#include "engine/io/file_read.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cx::engine {
namespace {

std::string kindOf(mode_t mode) {
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    return "not a regular file";
}

std::string bytesText(uint64_t n) {
    char gib[32];
    std::snprintf(gib, sizeof gib, " (%.1f GiB)", double(n) / double(1ull << 30));
    return std::to_string(n) + " bytes" + (n >= (1ull << 28) ? gib : "");
}

// Opens without blocking (a FIFO with no writer would block a plain open) and checks what the
// descriptor is: what was checked is what is read, even if the path changes meanwhile.
Result<int> openChecked(const std::string& path, const std::string& what, uint64_t limit, uint64_t& size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return invalidInput(what + " not found: " + path);
        return invalidInput("cannot open " + what + " " + path + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const std::string kind = ::fstat(fd, &st) == 0 ? kindOf(st.st_mode) : std::strerror(errno);
        ::close(fd);
        return invalidInput(what + " " + path + " is " + kind + ", not a file");
    }
    size = uint64_t(st.st_size);
    const uint64_t cap = limit ? limit : maxInputBytes();
    if (size > cap) {
        ::close(fd);
        return invalidInput(what + " " + path + " is " + bytesText(size) + ", more than the input limit of " + bytesText(cap) +
                            " (set CX_MAX_INPUT_BYTES to raise it)");
    }
    // Reads block again from here on (a regular file never waits).
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

}  // namespace

uint64_t maxInputBytes() {
    if (const char* set = std::getenv("CX_MAX_INPUT_BYTES")) {
        char* end = nullptr;
        errno = 0;
        const unsigned long long v = std::strtoull(set, &end, 10);
        if (errno == 0 && end && *end == '\0' && end != set && v > 0) return v;
    }
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    if (pages > 0 && page > 0) return uint64_t(pages) * uint64_t(page) / 2;
    return uint64_t(4) << 30;
}

Status checkInputFile(const std::string& path, const std::string& what, uint64_t limit) {
    uint64_t size = 0;
    auto fd = openChecked(path, what, limit, size);
    if (!fd) return fd.error();
    ::close(fd.value());
    return Done{};
}

Result<std::vector<uint8_t>> readInputFile(const std::string& path, const std::string& what, uint64_t limit) {
    uint64_t size = 0;
    auto opened = openChecked(path, what, limit, size);
    if (!opened) return opened.error();
    const int fd = opened.value();
    std::vector<uint8_t> bytes(size);
    uint64_t done = 0;
    while (done < size) {
        const ssize_t n = ::read(fd, bytes.data() + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string why = n < 0 ? std::strerror(errno) : "the file became shorter while it was read";
            ::close(fd);
            return ioError("cannot read " + what + " " + path + ": " + why);
        }
        done += uint64_t(n);
    }
    ::close(fd);
    return bytes;
}

}  // namespace cx::engine
