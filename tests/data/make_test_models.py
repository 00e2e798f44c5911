#!/usr/bin/python3
"""Developer-only: writes the small TorchScript test models in tests/data/models/.

Run with Debian's python3-torch (1.13): `/usr/bin/python3 tests/data/make_test_models.py`.
The product and its tests never run Python; the .pt files are committed.
"""
import os
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")
torch.manual_seed(0)


class Chain(nn.Module):
    """conv-relu-pool chain, flatten into linear (AlexNet shape, in-place ReLUs)."""
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(6, 5, 3, padding=1, groups=1), nn.ReLU(inplace=True), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Dropout(), nn.Linear(5 * 4 * 4, 7), nn.ReLU(), nn.Linear(7, 3))

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


class Residual(nn.Module):
    """stem, a residual block with a strided, dilated branch and a 1x1 projection shortcut."""
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.branch1 = nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2)
        self.branch2 = nn.Conv2d(6, 6, 3, padding=1, groups=2)
        self.shortcut = nn.Conv2d(4, 6, 1, stride=2)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        y = self.branch2(F.relu(self.branch1(x)))
        x = F.relu(y + self.shortcut(x))
        x = x.mean([2, 3])
        return self.head(x)


class Concat(nn.Module):
    """two branches concatenated along channels; a dead branch whose result is unused."""
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 2, 3, padding=1)
        self.b = nn.Conv2d(3, 5, 1)
        self.dead = nn.Conv2d(3, 4, 1)
        self.merge = nn.Conv2d(7, 3, 3, padding=1)

    def forward(self, x):
        d = self.dead(x)
        y = torch.cat([F.relu(self.a(x)), F.relu(self.b(x))], 1)
        return self.merge(y)


class TinyMlp(nn.Module):
    """a GPT-2 style transposed-weight linear (x @ W + b via addmm) and a normal linear."""
    def __init__(self):
        super().__init__()
        self.c_fc_weight = nn.Parameter(torch.randn(6, 8) * 0.3)
        self.c_fc_bias = nn.Parameter(torch.zeros(8))
        self.proj = nn.Linear(8, 4)

    def forward(self, x):
        h = torch.addmm(self.c_fc_bias, x, self.c_fc_weight)
        return self.proj(F.gelu(h))


class Seq1d(nn.Module):
    """conv1d over a sequence, global max over time, linear head."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 6, 5, stride=2, padding=2)
        self.fc = nn.Linear(6, 2)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).amax(2))


class Mha(nn.Module):
    """nn.MultiheadAttention (2 heads, packed in_proj) and a linear head."""
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        y, _ = self.attn(x, x, x, need_weights=False)
        return self.fc(y)


def save(module, name, example):
    module.eval()
    scripted = torch.jit.script(module)
    scripted.save(os.path.join(OUT, name + ".pt"))
    traced = torch.jit.trace(module, example)
    traced.save(os.path.join(OUT, name + "_traced.pt"))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    save(Chain(), "chain", torch.randn(2, 3, 16, 16))
    res = Residual()
    with torch.no_grad():  # non-trivial batch-norm statistics
        res.bn.running_mean.uniform_(-0.5, 0.5)
        res.bn.running_var.uniform_(0.5, 1.5)
    save(res, "residual", torch.randn(2, 3, 16, 16))
    save(Concat(), "concat", torch.randn(2, 3, 8, 8))
    save(TinyMlp(), "tiny_mlp", torch.randn(5, 6))
    save(Seq1d(), "seq1d", torch.randn(2, 4, 20))
    # Scripted only: tracing in eval mode records the fused _native_multi_head_attention op.
    torch.jit.script(Mha().eval()).save(os.path.join(OUT, "mha.pt"))
    print("wrote", sorted(os.listdir(OUT)))
