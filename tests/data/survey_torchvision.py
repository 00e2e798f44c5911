#!/usr/bin/python3
"""Developer-only: the compatibility survey of issue 11, run on the models that
export_torchvision.py wrote.

    /usr/bin/python3 tests/data/survey_torchvision.py MODEL_DIR CX_BINARY [NAME ...] > survey.jsonl
    /usr/bin/python3 tests/data/survey_torchvision.py --markdown survey.jsonl   # the README's table

For each architecture and export mode: `cx inspect` (layers found against the conv / linear
modules plus attention in-projections that Python counts, unreachable layers, layers left in
control flow), whether script and trace agree on the layer names and channel inputs, `cx score`
(ActGrad) on a deep target in both modes with the scores compared, `cx sweep` at 50% / 10%
(connected?), and `cx prune` + `cx diagram` at 0.2% (larger circuits wait for issue 14's level of detail). Prints one Markdown table row per model.
"""
import json
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_torchvision import architectures  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402


def expected_layers(model):
    count = 0
    for m in model.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            count += 1
        if isinstance(m, nn.MultiheadAttention):
            count += 1  # the packed in-projection
        if type(m).__name__ == "Conv1D":
            count += 1
    return count


def cx(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=1800)
    return p.returncode, p.stdout, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""


def inspect(binary, path):
    rc, out, err = cx(binary, "inspect", path, "--json")
    return json.loads(out) if rc == 0 else err


def deep_target(summary):
    """A unit of a reachable layer two thirds of the way through, outside control flow."""
    layers = [l for l in summary["layers"] if l["reachable"] and not l.get("in_control_flow")]
    if not layers:
        return None
    layer = layers[min(len(layers) - 1, (2 * len(layers)) // 3)]
    return f"{layer['name']}:{min(1, layer['out_channels'] - 1)}"


def survey(name, model_dir, binary, tmp):
    make, example = architectures()[name]
    torch.manual_seed(0)
    expected = expected_layers(make())
    row = {"name": name, "expected": expected}
    summaries = {}
    for mode in ("script", "trace"):
        path = os.path.join(model_dir, f"{name}_{mode}.pt")
        s = inspect(binary, path) if os.path.exists(path) else "not exported"
        summaries[mode] = s
        if isinstance(s, str):
            row[mode] = f"inspect failed: {s}"
            continue
        layers = s["layers"]
        row[mode] = (f"{len(layers)} layers, {sum(not l['reachable'] for l in layers)} unreachable, "
                     f"{sum(bool(l.get('in_control_flow')) for l in layers)} in control flow, "
                     f"{sum(l['inputs'] == [] for l in layers)} without inputs")
    s, t = summaries["script"], summaries["trace"]
    if isinstance(s, dict) and isinstance(t, dict):
        names_equal = [l["name"] for l in s["layers"]] == [l["name"] for l in t["layers"]]
        inputs_equal = names_equal and all(a["inputs"] == b["inputs"] for a, b in zip(s["layers"], t["layers"]))
        row["agree"] = "names+inputs" if inputs_equal else ("names" if names_equal else "no")
    images = os.path.join(tmp, f"{name}.safetensors")
    torch.manual_seed(1)
    if example.dtype == torch.int64:  # token ids for the language models
        write_safetensors(images, {"inputs": torch.randint(0, 20, (2, *example.shape[1:]))})
    else:
        write_safetensors(images, {"images": torch.randn(2, *example.shape[1:])})
    target = deep_target(t if isinstance(t, dict) else s) if isinstance(t, dict) or isinstance(s, dict) else None
    row["target"] = target
    scores = {}
    for mode in ("script", "trace"):
        path = os.path.join(model_dir, f"{name}_{mode}.pt")
        out = os.path.join(tmp, f"{name}_{mode}_scores.safetensors")
        if target is None or not isinstance(summaries[mode], dict):
            continue
        rc, _, err = cx(binary, "score", path, "--images", images, "--target", target, "--out", out, "--batch-size", "2")
        if rc != 0:
            row[f"score_{mode}"] = f"failed: {err}"
            continue
        scores[mode] = read_safetensors(out)
        rc, sweep_out, err = cx(binary, "sweep", path, "--images", images, "--target", target, "--criteria", "actgrad",
                                "--sparsities", "0.5,0.1", "--out", os.path.join(tmp, f"{name}_{mode}.csv"), "--json")
        row[f"sweep_{mode}"] = (" ".join(f"{p['sparsity']}:{'disconnected' if p['disconnected'] else round(p['pearson'], 3)}"
                                         for p in json.loads(sweep_out)["points"]) if rc == 0 else f"failed: {err}")
        mask = os.path.join(tmp, f"{name}_{mode}_mask.safetensors")
        rc, _, err = cx(binary, "prune", path, "--scores", out, "--sparsity", "0.002", "--out", mask)
        if rc == 0:
            rc, _, err = cx(binary, "diagram", path, "--mask", mask, "--out", os.path.join(tmp, f"{name}_{mode}.dot"))
        row[f"diagram_{mode}"] = "ok" if rc == 0 else f"refused: {err}"
    if len(scores) == 2:
        a, b = scores["script"], scores["trace"]
        worst = 0.0
        for key in a:
            if key in b and a[key].shape == b[key].shape:
                scale = max(a[key].abs().max().item(), 1e-12)
                worst = max(worst, (a[key] - b[key]).abs().max().item() / scale)
        row["score_agree"] = f"{len(set(a) & set(b))}/{len(set(a) | set(b))} tensors, max rel diff {worst:.1e}"
    return row


def markdown(rows):
    """The README's table from the JSON lines this script printed."""
    def short(text):
        return (text or "-").replace("inspect failed: ", "").split(", 0 unreachable")[0].replace(" layers", "")

    def inspect_cell(row, mode):
        text = row.get(mode, "-")
        layers = text.split(" ")[0]
        rest = [p for p in text.split(", ")[1:] if not p.startswith("0 ")]
        return layers + ("" if not rest else " (" + ", ".join(rest) + ")")

    def run_cell(row, key):
        v = row.get(key)
        if v is None:
            return "-"
        return "ok" if v == "ok" else v.replace("error: ", "").replace("failed: ", "refused: ")[:90]

    out = ["| architecture | conv/linear (+ attention in-proj) | inspect: script | inspect: trace | script = trace | "
           "ActGrad script vs trace | sweep 50% / 10% (trace) | diagram at 0.2% |",
           "|---|---|---|---|---|---|---|---|"]
    def score_cell(row):
        if "score_agree" in row:
            return row["score_agree"]
        parts = []
        for mode in ("script", "trace"):
            failed = row.get(f"score_{mode}")
            if failed:
                why = "examples not followed" if "examples lie" in failed else \
                      "fused kernel" if "derivative" in failed or "fused" in failed else failed[:60]
                parts.append(f"{mode} refused ({why})")
            elif f"sweep_{mode}" in row:
                parts.append(f"{mode} scores")
        return "; ".join(parts) or "-"

    for r in rows:
        score = score_cell(r)
        out.append(f"| {r['name']} | {r['expected']} | {inspect_cell(r, 'script')} | {inspect_cell(r, 'trace')} | "
                   f"{r.get('agree', '-')} | {score} | {run_cell(r, 'sweep_trace')} | {run_cell(r, 'diagram_trace')} |")
    return "\n".join(out)


if __name__ == "__main__":
    if sys.argv[1] == "--markdown":
        with open(sys.argv[2]) as f:
            print(markdown([json.loads(line) for line in f if line.strip()]))
        sys.exit(0)
    model_dir, binary = sys.argv[1], sys.argv[2]
    wanted = sys.argv[3:] or list(architectures())
    with tempfile.TemporaryDirectory() as tmp:
        for name in wanted:
            print(json.dumps(survey(name, model_dir, binary, tmp)), flush=True)
