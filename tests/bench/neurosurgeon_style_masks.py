#!/usr/bin/python3
"""Developer-only reference timing: learned weight masks the way NeuroSurgeon does it, in eager
PyTorch (Debian's python3-torch). Each masked layer is replaced by a wrapper module whose forward
computes weight * sigmoid(T * logits) and calls the functional op; the base weights are frozen
buffers and only the mask logits train (Adam). The eager models are rebuilt from the shipped
TorchScript demo models' weights, so the maths is the same as `cx train-mask`.

    OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tests/bench/neurosurgeon_style_masks.py
Compare with build/tests/bench/cx_bench_masks (same batch, same layers) run right before or after.
"""
import math
import os
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "resources", "demo")


class ContSparseLinear(torch.nn.Module):
    def __init__(self, weight, bias):
        super().__init__()
        self.register_buffer("weight", weight.detach().clone())
        self.register_buffer("bias", bias.detach().clone())
        self.mask_logits = torch.nn.Parameter(torch.zeros_like(self.weight))
        self.temperature = 1.0

    def forward(self, x):
        return F.linear(x, self.weight * torch.sigmoid(self.temperature * self.mask_logits), self.bias)


class ContSparseConv(ContSparseLinear):
    def __init__(self, weight, bias, padding):
        super().__init__(weight, bias)
        self.padding = padding

    def forward(self, x):
        return F.conv2d(x, self.weight * torch.sigmoid(self.temperature * self.mask_logits), self.bias, 1, self.padding)


def params(path):
    return {k: v.detach() for k, v in torch.jit.load(path).named_parameters()}


class Cnn(torch.nn.Module):
    def __init__(self, p):
        super().__init__()
        pads = {"conv1": 2, "conv2": 1, "conv3": 1, "conv4": 1, "conv5": 1}
        self.convs = torch.nn.ModuleList(
            ContSparseConv(p[f"features.{n}.weight"], p[f"features.{n}.bias"], pad) for n, pad in pads.items())
        self.fc1 = ContSparseLinear(p["classifier.fc1.weight"], p["classifier.fc1.bias"])
        self.fc2 = ContSparseLinear(p["classifier.fc2.weight"], p["classifier.fc2.bias"])

    def forward(self, x):
        c = self.convs
        x = F.max_pool2d(F.relu(c[0](x)), 2)
        x = F.max_pool2d(F.relu(c[1](x)), 2)
        x = F.relu(c[3](F.relu(c[2](x))))
        x = F.max_pool2d(F.relu(c[4](x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


class Gpt(torch.nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p
        lin = lambda n: ContSparseLinear(p[n + ".weight"], p[n + ".bias"])
        self.layers = torch.nn.ModuleDict()
        for b in ("block0", "block1"):
            for n in ("attn.q", "attn.k", "attn.v", "attn.o", "mlp.fc", "mlp.proj"):
                self.layers[f"{b}_{n.replace('.', '_')}"] = lin(f"{b}.{n}")

    def ln(self, x, n):
        return F.layer_norm(x, [x.size(-1)], self.p[n + ".weight"], self.p[n + ".bias"], 1e-5)

    def forward(self, ids):
        p, L = self.p, self.layers
        x = F.embedding(ids, p["tok_emb.weight"]) + p["pos_emb.weight"][: ids.size(1)]
        n, t, d = x.shape
        for b in ("block0", "block1"):
            z = self.ln(x, b + ".ln1")
            q, k, v = (L[f"{b}_attn_{w}"](z).view(n, t, 4, d // 4).transpose(1, 2) for w in "qkv")
            s = (q @ k.transpose(-2, -1)) / math.sqrt(d // 4)
            s = s.masked_fill(torch.ones(t, t).triu(1).bool(), float("-inf"))
            x = x + L[f"{b}_attn_o"]((s.softmax(-1) @ v).transpose(1, 2).reshape(n, t, d))
            x = x + L[f"{b}_mlp_proj"](F.gelu(L[f"{b}_mlp_fc"](self.ln(x, b + ".ln2"))))
        return F.linear(self.ln(x, "ln_f"), p["head.weight"], p["head.bias"])


def time_steps(model, x, y, steps=30):
    opt = torch.optim.Adam([q for q in model.parameters() if q.requires_grad], lr=0.1)
    masks = [m.mask_logits for m in model.modules() if isinstance(m, ContSparseLinear)]

    def step():
        opt.zero_grad()
        out = model(x)
        loss = F.cross_entropy(out.reshape(-1, out.size(-1)), y.reshape(-1), ignore_index=-1, reduction="sum")
        l0 = sum(torch.sigmoid(m).sum() for m in masks)
        (loss + 1e-8 * l0).backward()
        opt.step()

    step()
    best = 1e30
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, (time.perf_counter() - t0) / steps)
    return best


def arithmetic_batch(n=64):
    # Multiplication problems as the engine writes them: a1 a0 * b1 b0 = r0 -> targets r0 r1.
    g = torch.Generator().manual_seed(0)
    a, b = torch.randint(100, (n,), generator=g), torch.randint(100, (n,), generator=g)
    r = (a * b) % 100
    x = torch.stack([a // 10, a % 10, torch.full_like(a, 11), b // 10, b % 10, torch.full_like(a, 12), r % 10], 1)
    y = torch.full((n, 7), -1)
    y[:, 5], y[:, 6] = r % 10, r // 10
    return x, y


if __name__ == "__main__":
    cnn = Cnn(params(os.path.join(ROOT, "shapes_cnn.pt")))
    x = torch.rand(64, 3, 64, 64)
    y = torch.randint(6, (64,))
    t = time_steps(cnn, x, y)
    print(f"NeuroSurgeon-style demo CNN mask step:         {1e3 * t:7.2f} ms  ({1 / t:6.1f} steps/s)")
    gpt = Gpt(params(os.path.join(ROOT, "arithmetic_gpt.pt")))
    x, y = arithmetic_batch()
    t = time_steps(gpt, x, y)
    print(f"NeuroSurgeon-style demo transformer mask step: {1e3 * t:7.2f} ms  ({1 / t:6.1f} steps/s)")
