#!/usr/bin/python3
"""Developer-only: issue 14's check that every torchvision architecture's 10% circuit draws.

    /usr/bin/python3 tests/data/export_torchvision.py /tmp/tv            # the models (once)
    /usr/bin/python3 tests/data/diagram_levels_torchvision.py /tmp/tv build/app/cx [NAME ...] > levels.md

For each architecture (the traced export; --script for torch.jit.script ones): 2 random inputs,
ActGrad scores for unit 1 of the last layer (so every kernel is relevant), a 10% circuit
(--quota: every layer keeps 10% of its relevant kernels, so that no layer is left empty), then `cx diagram` three ways, each timed
as a whole command (model load included):
  - default: the kernel level, or the block overview when that would not fit;
  - --expand BLOCK: the block overview with its largest block that fits drawn as units;
  - --focus TARGET: the target unit's cone (depth 2, top 4 edges per unit).
Prints one Markdown table row per model.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_torchvision import architectures  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

GROUP = re.compile(r'shape=box, style="rounded,filled".*?label="([^"\\]*)\\n(\d+) units?')


def cx(binary, *args):
    start = time.monotonic()
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=3600)
    err = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    return p.returncode, p.stdout, err, time.monotonic() - start


def survey(model_dir, binary, name, mode, tmp):
    path = os.path.join(model_dir, f"{name}_{mode}.pt")
    row = {"name": name, "mode": mode}
    if not os.path.exists(path):
        row["error"] = "not exported"
        return row
    rc, out, err, _ = cx(binary, "inspect", path, "--json")
    if rc != 0:
        row["error"] = err
        return row
    layers = [l for l in json.loads(out)["layers"] if l["reachable"] and not l.get("in_control_flow")]
    last = layers[-1]
    target = f"{last['name']}:{min(1, last['out_channels'] - 1)}"
    _, example = architectures()[name]
    images = os.path.join(tmp, f"{name}.safetensors")
    torch.manual_seed(1)
    if example.dtype == torch.int64:
        write_safetensors(images, {"inputs": torch.randint(0, 20, (2, *example.shape[1:]))})
    else:
        write_safetensors(images, {"images": torch.randn(2, *example.shape[1:])})
    scores, mask = os.path.join(tmp, f"{name}_s.safetensors"), os.path.join(tmp, f"{name}_m.safetensors")
    rc, _, err, _ = cx(binary, "score", path, "--images", images, "--target", target, "--out", scores, "--batch-size", "2")
    if rc != 0:
        row["error"] = "score: " + err
        return row
    rc, out, err, _ = cx(binary, "prune", path, "--scores", scores, "--sparsity", "0.1", "--quota", "--json", "--out", mask)
    if rc != 0:
        row["error"] = "prune: " + err
        return row
    prune = json.loads(out)
    row.update(target=target, kept=prune["kept"], effective=prune["effective_kept"])
    dot = os.path.join(tmp, f"{name}.dot")
    rc, out, err, seconds = cx(binary, "diagram", path, "--mask", mask, "--json", "--out", dot)
    if rc != 0:
        row["error"] = "diagram: " + err
        return row
    d = json.loads(out)
    row["default"] = f"{d['level']}: {d['nodes']} vertices, {d['edges']} edges, {seconds:.1f} s"
    with open(dot) as f:
        groups = sorted(((int(m.group(2)), m.group(1)) for m in GROUP.finditer(f.read())), reverse=True)
    for members, block in groups[:4]:
        if block in ("input",):
            continue
        rc, out, err, seconds = cx(binary, "diagram", path, "--mask", mask, "--json", "--level", "block", "--expand", block,
                                   "--out", os.path.join(tmp, f"{name}_e.svg"))
        if rc == 0:
            e = json.loads(out)
            row["expand"] = f"{block} ({members} units): {e['nodes']} vertices, {e['edges']} edges, {seconds:.1f} s"
            break
        row["expand"] = f"{block}: {err}"
    rc, out, err, seconds = cx(binary, "diagram", path, "--mask", mask, "--json", "--focus", target,
                               "--out", os.path.join(tmp, f"{name}_f.svg"))
    if rc == 0:
        f = json.loads(out)
        row["focus"] = f"{f['nodes']} vertices, {f['edges']} edges (+{f['hidden_edges']}), {seconds:.1f} s"
    else:
        row["focus"] = err
    return row


def main():
    args = [a for a in sys.argv[1:] if a != "--script"]
    mode = "script" if "--script" in sys.argv else "trace"
    model_dir, binary, names = args[0], args[1], args[2:] or list(architectures())
    print("| architecture | 10% circuit: kept (effective) kernels | cx diagram (default) | --expand largest block | --focus target |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            r = survey(model_dir, binary, name, mode, tmp)
            if "error" in r:
                print(f"| {name} ({mode}) | {r['error']} | | | |", flush=True)
                continue
            print(f"| {name} ({mode}) | {r['kept']} ({r['effective']}) | {r['default']} | {r.get('expand', '-')} | "
                  f"{r['focus']} |", flush=True)


if __name__ == "__main__":
    main()
