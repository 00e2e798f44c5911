#!/usr/bin/python3
"""Developer-only: checks cx's receptive fields on the torchvision architectures that
export_torchvision.py wrote, against an independent computation in Python.

    /usr/bin/python3 tests/data/survey_receptive_fields.py MODEL_DIR CX_BINARY [NAME ...]

For each architecture and export mode, `cx inspect --json` gives every convolution's field
(exact / whole / unknown with a reason). For up to 6 exact convolutions per model (spread over
the depth), the Python module (same constructor, eval mode, random weights) is hooked at that
convolution's output and the bounding box of the input gradient of a corner, an edge and the
centre position (summed over the channels and over 2 random images) must equal the box cx's
field gives (squeeze-and-excitation gates detached: cx marks such fields global_gain and gives
the local field the gate scales). Prints one line per model: counts by kind, the positions checked, mismatches and
the distinct reasons for unknown fields.
"""
import json
import os
import subprocess
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_torchvision import architectures  # noqa: E402


def field_box(field, i, j, h, w):
    top = field["start"][0] + i * field["jump"][0]
    left = field["start"][1] + j * field["jump"][1]
    clip = lambda v, hi: max(0, min(v, hi))  # noqa: E731
    return (clip(top, h - 1), clip(left, w - 1), clip(top + field["size"][0] - 1, h - 1),
            clip(left + field["size"][1] - 1, w - 1))


def gradient_box(model, module, x, i, j):
    out = {}
    handle = module.register_forward_hook(lambda m, a, y: out.__setitem__("y", y))
    x = x.clone().requires_grad_(True)
    try:
        model(x)
    finally:
        handle.remove()
    y = out["y"]
    g, = torch.autograd.grad(y[:, :, i, j].sum(), x)
    hit = (g.abs().sum((0, 1)) > 0).nonzero()
    lo, hi = hit.min(0).values, hit.max(0).values
    return (int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1])), tuple(y.shape[2:])


def local_gates():
    """Squeeze-and-excitation gates pass no gradient: cx's field of a gated map is the local one."""
    from torchvision.ops.misc import SqueezeExcitation
    scale = SqueezeExcitation._scale
    SqueezeExcitation._scale = lambda self, x: scale(self, x).detach()


def main():
    local_gates()
    folder, binary = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or list(architectures())
    for name in names:
        make, example = architectures()[name]
        if example.dtype != torch.float32:
            continue
        torch.manual_seed(0)
        model = make().eval()
        modules = dict(model.named_modules())
        x = torch.randn(2, *example.shape[1:])
        for mode in ("script", "trace"):
            path = os.path.join(folder, f"{name}_{mode}.pt")
            if not os.path.exists(path):
                continue
            info = json.loads(subprocess.run([binary, "inspect", path, "--json"], capture_output=True, text=True,
                                             check=True).stdout)
            convs = [l for l in info["layers"] if l["kind"] == "conv2d"]
            kinds = {"exact": 0, "whole": 0, "unknown": 0}
            reasons = set()
            for l in convs:
                kinds[l["receptive_field"]["kind"]] += 1
                if l["receptive_field"]["kind"] == "unknown":
                    reasons.add(l["receptive_field"]["reason"])
            exact = [l for l in convs if l["receptive_field"]["kind"] == "exact" and l["name"] in modules]
            picked = exact[:: max(1, len(exact) // 6)][:6]
            checked = mismatched = 0
            for l in picked:
                module = modules[l["name"]]
                _, shape = gradient_box(model, module, x, 0, 0)
                for i, j in ((0, 0), (0, shape[1] // 2), (shape[0] // 2, shape[1] // 2)):
                    got, _ = gradient_box(model, module, x, i, j)
                    want = field_box(l["receptive_field"], i, j, x.shape[2], x.shape[3])
                    checked += 1
                    if got != want:
                        mismatched += 1
                        print(f"  MISMATCH {name}_{mode} {l['name']} at {i},{j}: cx {want}, gradient {got}")
            print(f"{name}_{mode}: conv2d {len(convs)}: exact {kinds['exact']}, whole {kinds['whole']}, "
                  f"unknown {kinds['unknown']}; checked {checked} positions, {mismatched} mismatched; "
                  f"unknown because: {sorted(reasons)}", flush=True)


if __name__ == "__main__":
    main()
