#!/usr/bin/python3
"""Developer-only: writes the compatibility fixtures in tests/data/models/compat_*.pt.

Run with Debian's python3-torch (1.13): `/usr/bin/python3 tests/data/make_compat_models.py`.
Each model holds one construct of the torchvision architectures that the graph analysis must
follow exactly (issue 11), small enough to commit; each is saved scripted (NAME_script.pt) and
traced (NAME_trace.pt). The expected layer tables are written by hand in
tests/engine/test_compat_models.cpp, not derived from these files.
"""
import copy
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors  # noqa: E402

GOLDEN = {}  # NAME/input, NAME/output: a fixed circuit's outputs, for test_compat_models.cpp


def kept(o, i):
    """The fixed circuit of the golden outputs: kernel (output o, input i) stays unless
    (3 o + 5 i) mod 7 is 0 or 1; the C++ test builds the same circuit from its layer table."""
    return (3 * o + 5 * i) % 7 not in (0, 1)


def kernel_mask(rows, cols):
    return torch.tensor([[1.0 if kept(o, i) else 0.0 for i in range(cols)] for o in range(rows)])


def zero_removed_kernels(module):
    """The circuit by hand: every removed kernel's weights set to zero, biases untouched."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv1d, nn.Conv2d)):
                w = m.weight
                w.mul_(kernel_mask(w.size(0), w.size(1)).view(w.size(0), w.size(1), *([1] * (w.dim() - 2))))
            elif isinstance(m, nn.Linear):
                m.weight.mul_(kernel_mask(*m.weight.shape))
            elif isinstance(m, nn.MultiheadAttention):
                m.in_proj_weight.mul_(kernel_mask(*m.in_proj_weight.shape))
            elif type(m).__name__ == "Conv1D":  # stored in x out: output o is a column
                m.weight.mul_(kernel_mask(m.weight.size(1), m.weight.size(0)).t())


def golden(module, name, example):
    circuit = copy.deepcopy(module).eval()
    zero_removed_kernels(circuit)
    with torch.no_grad():
        GOLDEN[name + "/input"] = example.contiguous()
        GOLDEN[name + "/output"] = circuit(example).contiguous()


class InvertedResidual(nn.Module):
    """MobileNet-V2's block: the residual is taken on a constant attribute (use_res_connect)."""
    def __init__(self, inp, out, stride):
        super().__init__()
        self.use_res_connect = stride == 1 and inp == out
        self.expand = nn.Conv2d(inp, inp * 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(inp * 2)
        self.dw = nn.Conv2d(inp * 2, inp * 2, 3, stride, 1, groups=inp * 2, bias=False)
        self.project = nn.Conv2d(inp * 2, out, 1, bias=False)

    def forward(self, x):
        y = self.project(F.relu6(self.dw(F.relu6(self.bn(self.expand(x))))))
        if self.use_res_connect:
            return x + y
        return y


class MobileBlocks(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.blocks = nn.Sequential(InvertedResidual(4, 4, 1), InvertedResidual(4, 6, 2))
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc(self.blocks(self.stem(x)).mean([2, 3]))


class DenseLayer(nn.Module):
    """DenseNet's layer: reads the concatenation of every earlier feature map."""
    def __init__(self, inp, growth):
        super().__init__()
        self.memory_efficient = False
        self.conv = nn.Conv2d(inp, growth, 3, padding=1)

    def forward(self, features: list[torch.Tensor]):
        if self.memory_efficient and torch.jit.is_scripting():
            raise RuntimeError("not used")
        return F.relu(self.conv(torch.cat(features, 1)))


class DenseBlock(nn.Module):
    """A Python list built with append, then torch.cat (torchvision's _DenseBlock)."""
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.layers = nn.ModuleList([DenseLayer(4, 2), DenseLayer(6, 2), DenseLayer(8, 2)])
        self.head = nn.Conv2d(10, 3, 1)

    def forward(self, x):
        features = [self.stem(x)]
        for layer in self.layers:
            features.append(layer(features))
        return self.head(torch.cat(features, 1))


def channel_shuffle(x, groups: int):
    b, c, h, w = x.size()
    x = x.view(b, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(b, -1, h, w)


class ShuffleUnit(nn.Module):
    """ShuffleNet-V2's unit: chunk into halves (stride 1) or two branches (stride 2), shuffle."""
    def __init__(self, inp, out, stride):
        super().__init__()
        self.stride = stride
        half = out // 2
        if stride > 1:
            self.branch1 = nn.Conv2d(inp, half, 1, stride)
        else:
            self.branch1 = nn.Identity()
        self.branch2 = nn.Conv2d(inp if stride > 1 else half, half, 3, stride, 1)

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class Shuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.down = ShuffleUnit(4, 8, 2)
        self.unit = ShuffleUnit(8, 8, 1)
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        return self.head(self.unit(self.down(self.stem(x))))


class SqueezeExcite(nn.Module):
    """An SE block: pooled channels through two 1x1 convolutions scale the map."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.fc1 = nn.Conv2d(6, 2, 1)
        self.fc2 = nn.Conv2d(2, 6, 1)
        self.out = nn.Conv2d(6, 2, 1)

    def forward(self, x):
        x = F.relu(self.conv(x))
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))
        return self.out(x * s)


class Conv1D(nn.Module):
    """GPT-2's transposed-weight linear: addmm on a 2-D view of a 3-D input."""
    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.randn(nx, nf) * 0.3)
        self.bias = nn.Parameter(torch.randn(nf) * 0.1)

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class Gpt2Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_fc = Conv1D(8, 4)
        self.c_proj = Conv1D(4, 8)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))


class Gpt2Attention(nn.Module):
    """GPT-2's attention: c_attn's output split into q, k, v and viewed as (b, t, heads, head_dim)."""
    def __init__(self, d=8, heads=2):
        super().__init__()
        self.num_heads = heads
        self.head_dim = d // heads
        self.c_attn = Conv1D(3 * d, d)
        self.c_proj = Conv1D(d, d)

    def forward(self, x):
        b, t, d = x.size()
        q, k, v = self.c_attn(x).split(d, dim=2)
        q = q.view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        k = k.view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        v = v.view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        w = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / self.head_dim ** 0.5, -1)
        return self.c_proj(torch.matmul(w, v).transpose(1, 2).contiguous().view(b, t, d))


class Gpt2Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = Gpt2Attention()
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.attn(x))


class Padding(nn.Module):
    """Convolutions without a bias and with string padding."""
    def __init__(self):
        super().__init__()
        self.same = nn.Conv2d(3, 4, 3, padding="same", bias=False)
        self.valid = nn.Conv2d(4, 5, 3, padding="valid")
        self.dilated_same = nn.Conv2d(5, 2, 3, padding="same", dilation=2, bias=False)

    def forward(self, x):
        return self.dilated_same(F.relu(self.valid(F.relu(self.same(x)))))


class SharedWeight(nn.Module):
    """One convolution applied twice (a weight used by two ops)."""
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.shared = nn.Conv2d(4, 4, 3, padding=1)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = F.relu(self.shared(x))
        x = F.relu(self.shared(x))
        return self.head(x)


class Attention(nn.Module):
    """nn.MultiheadAttention (2 heads); traced without autograd it records the fused kernel."""
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        y, _ = self.attn(x, x, x, need_weights=False)
        return self.fc(y)


class EncoderLayer(nn.Module):
    """nn.TransformerEncoderLayer; traced without autograd it records one fused kernel for all of it."""
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(self.layer(x))


class TokenAttention(nn.Module):
    """Token ids, an embedding, then nn.MultiheadAttention: scripted, its "is the input batched"
    check asks the input's rank, which the embedding's input says (N x T)."""
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 8)
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, ids):
        x = self.embed(ids)
        y, _ = self.attn(x, x, x, need_weights=False)
        return self.fc(y)


def save(module, name, example):
    torch.manual_seed(1)
    module.eval()
    golden(module, name, example)
    torch.jit.script(module).save(os.path.join(OUT, f"compat_{name}_script.pt"))
    with torch.no_grad():
        torch.jit.trace(module, example).save(os.path.join(OUT, f"compat_{name}_trace.pt"))


if __name__ == "__main__":
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    image = torch.randn(2, 3, 8, 8)
    mobile = MobileBlocks()
    with torch.no_grad():  # non-trivial batch-norm statistics
        for block in mobile.blocks:
            block.bn.running_mean.uniform_(-0.5, 0.5)
            block.bn.running_var.uniform_(0.5, 1.5)
    save(mobile, "mobile", image)
    save(DenseBlock(), "dense", image)
    save(Shuffle(), "shuffle", image)
    save(SqueezeExcite(), "se", image)
    save(Gpt2Mlp(), "gpt2_mlp", torch.randn(2, 5, 4))
    save(Padding(), "padding", image)
    save(SharedWeight(), "shared", image)
    save(Attention(), "attention", torch.randn(2, 5, 8))
    save(EncoderLayer(), "encoder", torch.randn(2, 5, 8))
    save(Gpt2Heads(), "gpt2_attn", torch.randn(2, 5, 8))
    save(TokenAttention(), "token_attention", torch.randint(0, 20, (2, 5)))
    write_safetensors(os.path.join(OUT, "compat_golden.safetensors"), GOLDEN)
    print("wrote", sorted(f for f in os.listdir(OUT) if f.startswith("compat_")))
