#!/usr/bin/python3
"""Developer-only: writes the crafted TorchScript archives of the hardening tests (issue 12).

Run with Debian's python3-torch: `/usr/bin/python3 tests/data/make_bad_archives.py`.
From the committed tests/data/models/tiny_mlp.pt it writes into tests/data/bad/:
- short_storage.pt: the same archive with one tensor's storage record cut to half its bytes
  (LibTorch 1.13 loads it and would read past the buffer);
- zip_bomb.pt: the same archive with one more record whose directory entry says it unpacks to
  4 GiB (what a zip bomb looks like to the reader, without shipping one);
- endless.pt: a scripted model whose forward loops (practically) forever between two
  convolutions, for --timeout and for Cancel;
- huge_header.png / wide_header.png: a PNG signature and a valid IHDR chunk claiming 10000 x 10000
  (past the pixel limit) and 20000 x 10 (past the side limit) pixels, and nothing else.
(stb_huffman_overflow.jpg beside them is not made here: fuzz_image found it, see test_images.cpp.)
"""
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "models", "tiny_mlp.pt")
OUT = os.path.join(HERE, "bad")


def copy(path, change):
    with zipfile.ZipFile(SOURCE) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            data = change(info.filename, data)
            dst.writestr(info, data)
        return dst


def short_storage():
    copy(os.path.join(OUT, "short_storage.pt"), lambda name, data: data[: len(data) // 2] if name.endswith("data/0") else data)


def zip_bomb():
    path = os.path.join(OUT, "zip_bomb.pt")
    with zipfile.ZipFile(SOURCE) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr(zipfile.ZipInfo("tiny_mlp/extra/bomb"), bytes(64 * 1024), compress_type=zipfile.ZIP_DEFLATED)
    # Patch the last central-directory entry's uncompressed size to 0xFFFFFFFE (about 4 GiB).
    raw = bytearray(open(path, "rb").read())
    entry = raw.rfind(b"PK\x01\x02")
    struct.pack_into("<I", raw, entry + 24, 0xFFFFFFFE)
    open(path, "wb").write(bytes(raw))


def endless():
    import torch
    import torch.nn as nn

    class Endless(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(3, 4, 3)
            self.b = nn.Conv2d(4, 2, 3)

        def forward(self, x):
            y = self.a(x)
            i = 0
            while i >= 0:  # 2^63 rounds
                y = y * 1.0 + 0.0
                i = i + 1
            return self.b(y)

    torch.manual_seed(0)
    torch.jit.script(Endless()).save(os.path.join(OUT, "endless.pt"))


def png_header(name, width, height):
    import zlib

    ihdr = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr))
    open(os.path.join(OUT, name), "wb").write(b"\x89PNG\r\n\x1a\n" + chunk)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    png_header("huge_header.png", 10000, 10000)
    png_header("wide_header.png", 20000, 10)
    short_storage()
    zip_bomb()
    endless()
    print("wrote", sorted(os.listdir(OUT)))
