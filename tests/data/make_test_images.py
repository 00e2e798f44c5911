#!/usr/bin/python3
"""Developer-only: writes tests/data/images/, the decoder fixtures, with the pixels PIL gives.

Run with Debian's python3-pil: `/usr/bin/python3 tests/data/make_test_images.py`. Each file is a
small picture in one of the encodings researchers' folders hold; pil_rgb.safetensors has, for
each, PIL's Image.open(f).convert("RGB") as float32 H x W x 3 (0..255), which the engine's
decoder must equal exactly:
- photo.jpg (4:2:0 chroma), photo444.jpg (4:4:4), grey.jpg: JPEG, decoded by libjpeg-turbo in
  both (accurate IDCT, fancy upsampling);
- rgb.png, rgba.png (alpha dropped, not composited), palette.png (with a tRNS chunk),
  grey.png, grey_alpha.png.
grey16.png (16-bit grey) is not in the table: PIL clips 16-bit values to 255 where the engine,
like libpng's strip_16, keeps the high byte; its expected pixels (v >> 8) are in grey16_high.
"""
import os

import numpy as np
from PIL import Image

import torch
from safetensors_io import write_safetensors

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "images")


def picture(h, w, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 127 // max(h + w - 2, 1)], -1)
    noise = rng.integers(0, 40, size=(h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def main():
    os.makedirs(OUT, exist_ok=True)
    rgb = picture(13, 17, 1)
    Image.fromarray(rgb).save(os.path.join(OUT, "photo.jpg"), quality=85, subsampling=2)
    Image.fromarray(rgb).save(os.path.join(OUT, "photo444.jpg"), quality=90, subsampling=0)
    Image.fromarray(rgb[:, :, 0]).save(os.path.join(OUT, "grey.jpg"), quality=85)
    Image.fromarray(rgb).save(os.path.join(OUT, "rgb.png"))
    alpha = np.arange(13 * 17, dtype=np.uint8).reshape(13, 17)
    Image.fromarray(np.dstack([rgb, alpha])).save(os.path.join(OUT, "rgba.png"))
    pal = Image.fromarray(rgb).quantize(colors=16)
    pal.info["transparency"] = 3
    pal.save(os.path.join(OUT, "palette.png"), transparency=3)
    Image.fromarray(rgb[:, :, 1]).save(os.path.join(OUT, "grey.png"))
    Image.fromarray(np.dstack([rgb[:, :, 2], alpha])).convert("LA").save(os.path.join(OUT, "grey_alpha.png"))
    grey16 = (np.arange(13 * 17, dtype=np.uint16).reshape(13, 17) * 297).astype(np.uint16)
    Image.fromarray(grey16, mode="I;16").save(os.path.join(OUT, "grey16.png"))
    table = {}
    for name in ["photo.jpg", "photo444.jpg", "grey.jpg", "rgb.png", "rgba.png", "palette.png", "grey.png",
                 "grey_alpha.png"]:
        pixels = np.asarray(Image.open(os.path.join(OUT, name)).convert("RGB"), dtype=np.float32)
        table[name] = torch.from_numpy(pixels.copy())
    back = np.asarray(Image.open(os.path.join(OUT, "grey16.png")))
    assert back.dtype == np.uint16 or back.max() > 255, "grey16.png must hold 16-bit samples"
    table["grey16_high"] = torch.from_numpy((grey16 >> 8).astype(np.float32))
    write_safetensors(os.path.join(OUT, "pil_rgb.safetensors"), table)
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
