#include "engine/io/zip_directory.h"

#include <algorithm>
#include <string>

namespace cx::engine {
namespace {

uint64_t little(const uint8_t* p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

}  // namespace

Result<uint64_t> zipUnpackedSize(const uint8_t* bytes, size_t size, uint64_t fileSize) {
    if (size > fileSize) return invalidInput("the window is larger than the file");
    const uint64_t base = fileSize - size;  // file offset of bytes[0]
    // The end-of-central-directory record: 22 bytes and a comment of up to 64 KiB.
    if (size < 22) return invalidInput("not a zip archive (too short)");
    const size_t earliest = size >= 22 + 65535 ? size - 22 - 65535 : 0;
    size_t at = size;
    for (size_t i = size - 22 + 1; i-- > earliest;)
        if (little(bytes + i, 4) == 0x06054b50) {
            at = i;
            break;
        }
    if (at == size) return invalidInput("not a zip archive (no end of central directory)");
    uint64_t entries = little(bytes + at + 10, 2), dirSize = little(bytes + at + 12, 4), dirOffset = little(bytes + at + 16, 4);
    if (at >= 20 && little(bytes + at - 20, 4) == 0x07064b50) {  // zip64: its own directory record
        const uint64_t fileRecord = little(bytes + at - 20 + 8, 8);
        if (fileRecord < base || fileRecord - base > size || size - (fileRecord - base) < 56)
            return invalidInput("malformed zip64 directory");
        const uint8_t* record = bytes + (fileRecord - base);
        if (little(record, 4) != 0x06064b50) return invalidInput("malformed zip64 directory");
        entries = little(record + 32, 8);
        dirSize = little(record + 40, 8);
        dirOffset = little(record + 48, 8);
    }
    if (dirOffset < base) return invalidInput("the zip directory is larger than the part of the file read for it");
    dirOffset -= base;
    if (dirOffset > size || dirSize > size - dirOffset || entries > dirSize / 46) return invalidInput("malformed zip directory");
    const uint8_t* d = bytes + dirOffset;
    uint64_t total = 0;
    size_t p = 0;
    for (uint64_t n = 0; n < entries; ++n) {
        if (p + 46 > dirSize || little(d + p, 4) != 0x02014b50) return invalidInput("malformed zip directory entry");
        uint64_t unpacked = little(d + p + 24, 4);
        const size_t nameLength = little(d + p + 28, 2), extraLength = little(d + p + 30, 2), commentLength = little(d + p + 32, 2);
        const size_t next = p + 46 + nameLength + extraLength + commentLength;
        if (next > dirSize) return invalidInput("malformed zip directory entry");
        if (unpacked == 0xffffffffu) {  // the real size is in the zip64 extra field
            const size_t extraEnd = p + 46 + nameLength + extraLength;
            for (size_t x = p + 46 + nameLength; x + 4 <= extraEnd;) {
                const size_t id = little(d + x, 2), length = little(d + x + 2, 2);
                if (id == 0x0001 && length >= 8 && x + 12 <= extraEnd) unpacked = little(d + x + 4, 8);
                x += 4 + length;
            }
        }
        if (total > UINT64_MAX - unpacked) return invalidInput("zip sizes overflow");
        total += unpacked;
        p = next;
    }
    return total;
}

}  // namespace cx::engine
