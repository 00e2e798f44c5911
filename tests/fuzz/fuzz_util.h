#pragma once
// Shared by the fuzz targets that read through a path: the input written to one temp file per
// process (in /dev/shm where there is one, so that a run stays in memory), removed at exit.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

inline std::string writeFuzzInput(const uint8_t* data, size_t size, const char* suffix) {
    static const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    static const std::string path = dir + "/cx-fuzz-" + std::to_string(getpid()) + suffix;
    static const bool removedAtExit = std::atexit([] { std::remove(path.c_str()); }) == 0;
    (void)removedAtExit;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) std::abort();
    return path;
}
