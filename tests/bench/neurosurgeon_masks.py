#!/usr/bin/python3
"""Developer-only comparison (issue 18): the work of cx_bench_masks run through NeuroSurgeon's own
CircuitModel, unmodified. Runs only where the library is available:

    cmake --build build --target cx_bench_masks
    build/tests/bench/cx_bench_masks --write /tmp/maskbench        # models, tasks, and cx's figures
    NEUROSURGEON=/path/to/NeuroSurgeon OMP_NUM_THREADS=2 /usr/bin/python3 tests/bench/neurosurgeon_masks.py /tmp/maskbench

NEUROSURGEON is a checkout of https://github.com/mlepori1/NeuroSurgeon (the folder that holds the
NeuroSurgeon package). Where HuggingFace transformers is not installed (Debian has no package), the
three names NeuroSurgeon imports from it are provided here: `PretrainedConfig` (CircuitConfig's base
class; only its constructor is used), `pytorch_utils.Conv1D` (a type it maps; no layer here is one)
and `modeling_outputs.SequenceClassifierOutput` (used by its probing module only).

The eager models are rebuilt from the TorchScript files' weights, so the work is the same: every
nn.Linear masked at weight granularity, continuous sparsification, frozen base, L0 on, Adam, batch
64, the same lambda, learning rate, initial value, epochs and temperature schedule (T *= 200^(1/E)
after each epoch), batch-mean cross-entropy as the wrapped model's loss.
"""
import math
import os
import sys
import time
import types

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data"))
from safetensors_io import read_safetensors  # noqa: E402

LAMBDA, LR, BATCH, INIT = 1e-6, 0.05, 64, 0.0


def import_neurosurgeon():
    root = os.environ.get("NEUROSURGEON")
    if root:
        sys.path.insert(0, root)
    try:
        import transformers  # noqa: F401
    except ImportError:
        shim = types.ModuleType("transformers")

        class PretrainedConfig:
            def __init__(self, **kwargs):
                pass

        shim.__path__ = []  # a package, so that its submodules import
        shim.PretrainedConfig = PretrainedConfig
        utils = types.ModuleType("transformers.pytorch_utils")
        utils.Conv1D = type("Conv1D", (torch.nn.Module,), {})
        outputs = types.ModuleType("transformers.modeling_outputs")
        outputs.SequenceClassifierOutput = type("SequenceClassifierOutput", (), {})
        sys.modules.update({"transformers": shim, "transformers.pytorch_utils": utils,
                            "transformers.modeling_outputs": outputs})
    try:
        from NeuroSurgeon.Models.circuit_model import CircuitModel
        from NeuroSurgeon.Models.model_configs import CircuitConfig
    except ImportError as e:
        print(f"NeuroSurgeon is not available ({e}); set NEUROSURGEON to a checkout. Nothing measured.")
        sys.exit(0)
    return CircuitModel, CircuitConfig


class Output:
    def __init__(self, loss, logits):
        self.loss, self.logits = loss, logits


def linear(p, name):
    w = p[name + ".weight"]
    layer = torch.nn.Linear(w.size(1), w.size(0))
    with torch.no_grad():
        layer.weight.copy_(w)
        layer.bias.copy_(p[name + ".bias"])
    return layer


class Mlp(torch.nn.Module):
    def __init__(self, p):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = (linear(p, n) for n in ("fc1", "fc2", "fc3"))

    def forward(self, x, labels=None, return_dict=True):
        logits = self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
        return Output(F.cross_entropy(logits, labels) if labels is not None else None, logits)


class Attention(torch.nn.Module):
    def __init__(self, p, prefix, heads):
        super().__init__()
        self.q, self.k, self.v, self.o = (linear(p, f"{prefix}.{n}") for n in "qkvo")
        self.heads = heads

    def forward(self, x):
        n, t, d = x.shape
        h = self.heads
        q, k, v = (m(x).view(n, t, h, d // h).transpose(1, 2) for m in (self.q, self.k, self.v))
        s = (q @ k.transpose(-2, -1)) * float(d // h) ** -0.5
        s = s.masked_fill(torch.ones(t, t).triu(1).bool(), float("-inf"))
        return self.o((s.softmax(-1) @ v).transpose(1, 2).reshape(n, t, d))


class Block(torch.nn.Module):
    def __init__(self, p, prefix, heads):
        super().__init__()
        self.p, self.prefix = p, prefix
        self.attn = Attention(p, prefix + ".attn", heads)
        self.fc, self.proj = linear(p, prefix + ".mlp.fc"), linear(p, prefix + ".mlp.proj")

    def ln(self, x, n):
        return F.layer_norm(x, [x.size(-1)], self.p[f"{self.prefix}.{n}.weight"], self.p[f"{self.prefix}.{n}.bias"], 1e-5)

    def forward(self, x):
        x = x + self.attn(self.ln(x, "ln1"))
        return x + self.proj(F.gelu(self.fc(self.ln(x, "ln2"))))


class Gpt(torch.nn.Module):
    def __init__(self, p, layers=2, heads=4):
        super().__init__()
        self.p = p
        self.blocks = torch.nn.ModuleList(Block(p, f"block{i}", heads) for i in range(layers))
        self.head = linear(p, "head")

    def forward(self, x, labels=None, return_dict=True):
        p = self.p
        h = F.embedding(x, p["tok_emb.weight"]) + p["pos_emb.weight"][: x.size(1)]
        for b in self.blocks:
            h = b(h)
        logits = self.head(F.layer_norm(h, [h.size(-1)], p["ln_f.weight"], p["ln_f.bias"], 1e-5))
        loss = None if labels is None else F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1))
        return Output(loss, logits)


def train(CircuitModel, CircuitConfig, base, x, y, epochs, final_t):
    targets = [n for n, m in base.named_modules() if isinstance(m, torch.nn.Linear)]
    config = CircuitConfig(
        mask_method="continuous_sparsification",
        mask_hparams={"ablation": "none", "mask_unit": "weight", "mask_bias": False, "mask_init_value": INIT},
        target_layers=targets, freeze_base=True, add_l0=True, l0_lambda=LAMBDA)
    model = CircuitModel(config, base)
    opt = torch.optim.Adam([q for q in model.parameters() if q.requires_grad], lr=LR)
    growth = final_t ** (1.0 / epochs)
    g = torch.Generator().manual_seed(0)
    epoch_seconds = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(x.size(0), generator=g)
        for b in range(0, x.size(0), BATCH):
            idx = order[b:b + BATCH]
            opt.zero_grad()
            model(x=x[idx], labels=y[idx]).loss.backward()
            opt.step()
        epoch_seconds.append(time.perf_counter() - t0)
        model.temperature = model.temperature * growth
    model.eval()
    with torch.no_grad():
        logits = model(x=x).logits
        accuracy = (logits.argmax(-1) == y).all(-1).float().mean().item() if y.dim() > 1 else (
            logits.argmax(-1) == y).float().mean().item()
        masks = [m.weight_mask_params for m in model.modules() if hasattr(m, "weight_mask_params")]
        kept = sum(int((m > 0).sum()) for m in masks) / sum(m.numel() for m in masks)
    return epoch_seconds, kept, accuracy


def plain_step(base, x, y, steps=20):
    weights = [m.weight for m in base.modules() if isinstance(m, torch.nn.Linear)]
    for q in base.parameters():
        q.requires_grad_(False)
    for w in weights:
        w.requires_grad_(True)
    opt = torch.optim.Adam(weights, lr=1e-3)

    def step(i):
        idx = torch.arange(i * BATCH, (i + 1) * BATCH) % x.size(0)
        opt.zero_grad()
        base(x[idx], labels=y[idx]).loss.backward()
        opt.step()

    step(0)
    best = 1e30
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(steps):
            step(i)
        best = min(best, (time.perf_counter() - t0) / steps)
    return best


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    folder, epochs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 6
    CircuitModel, CircuitConfig = import_neurosurgeon()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    print(f"{torch.get_num_threads()} threads; lambda {LAMBDA}, lr {LR}, batch {BATCH}; NeuroSurgeon CircuitModel")
    for name, make in (("mlp", Mlp), ("transformer", Gpt)):
        p = {k: v.detach() for k, v in torch.jit.load(os.path.join(folder, name + ".pt")).named_parameters()}
        task = read_safetensors(os.path.join(folder, name + "_task.safetensors"))
        x, y = task["inputs"], task["targets"]
        steps = math.ceil(x.size(0) / BATCH)
        plain = plain_step(make(p), x, y)
        cold, cold_kept, cold_acc = train(CircuitModel, CircuitConfig, make(p), x, y, epochs, 1.0)
        hot, hot_kept, hot_acc = train(CircuitModel, CircuitConfig, make(p), x, y, epochs, 200.0)
        print(f"{name}: {epochs} epochs of {steps} steps")
        print(f"  plain forward+backward+Adam step   {1e3 * plain:7.2f} ms")
        print(f"  NeuroSurgeon step at T = 1         {1e3 * cold[-1] / steps:7.2f} ms   ratio {cold[-1] / steps / plain:.2f}")
        print(f"  NeuroSurgeon step, annealed, last  {1e3 * hot[-1] / steps:7.2f} ms   ratio {hot[-1] / steps / plain:.2f}")
        print(f"  annealed last epoch / first epoch  {hot[-1] / hot[0]:7.2f}")
        print(f"  annealed run: kept {hot_kept:.4f}, accuracy {hot_acc:.4f}; T = 1 run: kept {cold_kept:.4f}, accuracy {cold_acc:.4f}")
        print("  annealed epochs (s): " + " ".join(f"{s:.2f}" for s in hot))


if __name__ == "__main__":
    main()
