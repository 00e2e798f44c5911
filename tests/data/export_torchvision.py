#!/usr/bin/python3
"""Developer-only: exports the 18 architectures of the compatibility survey (issue 11).

Run with Debian's python3-torch / python3-torchvision (random weights are enough for structure):
    /usr/bin/python3 tests/data/export_torchvision.py OUT_DIR [NAME ...]
Writes OUT_DIR/NAME_script.pt (torch.jit.script) and OUT_DIR/NAME_trace.pt (torch.jit.trace) for
each architecture; the models are too large to commit, so the survey script
(tests/data/survey_torchvision.sh) runs `cx` on this folder. Image models take 1 x 3 x 224 x 224
(Inception-v3 299 x 299), the two language models 1 x 12 token ids.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torchvision.models as tvm


class TransformerLm(nn.Module):
    """nn.TransformerEncoder language model: embedding, 2 pre-LN layers, a linear head."""
    def __init__(self, vocab=20, d=64, heads=4, length=12):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(length, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(d, vocab)

    def forward(self, ids):
        return self.head(self.encoder(self.embed(ids) + self.pos[: ids.size(1)]))


class Conv1D(nn.Module):
    """GPT-2's transposed-weight linear: addmm on a 2-D view of the input."""
    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.randn(nx, nf) * 0.02)
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class Gpt2Attention(nn.Module):
    def __init__(self, d, heads):
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
        w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        causal = torch.tril(torch.ones(t, t, dtype=torch.bool, device=x.device))
        w = w.masked_fill(~causal, -1e4).softmax(-1)
        y = torch.matmul(w, v).transpose(1, 2).contiguous().view(b, t, d)
        return self.c_proj(y)


class Gpt2Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = Gpt2Attention(d, heads)
        self.ln_2 = nn.LayerNorm(d)
        self.c_fc = Conv1D(4 * d, d)
        self.c_proj = Conv1D(d, 4 * d)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.c_proj(nn.functional.gelu(self.c_fc(self.ln_2(x))))


class Gpt2Lm(nn.Module):
    """GPT-2-style LM: token + position embeddings, 2 blocks with Conv1D layers, tied-free head."""
    def __init__(self, vocab=20, d=64, heads=4, length=12):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(length, d)
        self.h = nn.ModuleList([Gpt2Block(d, heads) for _ in range(2)])
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)

    def forward(self, ids):
        pos = torch.arange(ids.size(1), device=ids.device)
        x = self.wte(ids) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def architectures():
    image = torch.randn(1, 3, 224, 224)
    tokens = torch.randint(0, 20, (1, 12))
    return {
        "alexnet": (lambda: tvm.alexnet(), image),
        "vgg11_bn": (lambda: tvm.vgg11_bn(), image),
        "resnet18": (lambda: tvm.resnet18(), image),
        "resnet50": (lambda: tvm.resnet50(), image),
        "googlenet": (lambda: tvm.googlenet(aux_logits=False, init_weights=True), image),
        "inception_v3": (lambda: tvm.inception_v3(aux_logits=False, init_weights=True), torch.randn(1, 3, 299, 299)),
        "densenet121": (lambda: tvm.densenet121(), image),
        "mobilenet_v2": (lambda: tvm.mobilenet_v2(), image),
        "mobilenet_v3_small": (lambda: tvm.mobilenet_v3_small(), image),
        "squeezenet1_1": (lambda: tvm.squeezenet1_1(), image),
        "shufflenet_v2_x1_0": (lambda: tvm.shufflenet_v2_x1_0(), image),
        "efficientnet_b0": (lambda: tvm.efficientnet_b0(), image),
        "regnet_y_400mf": (lambda: tvm.regnet_y_400mf(), image),
        "convnext_tiny": (lambda: tvm.convnext_tiny(), image),
        "vit_b_16": (lambda: tvm.vit_b_16(), image),
        "swin_t": (lambda: tvm.swin_t(), image),
        "transformer_lm": (lambda: TransformerLm(), tokens),
        "gpt2_lm": (lambda: Gpt2Lm(), tokens),
    }


def export(name, make, example, out):
    torch.manual_seed(0)
    model = make().eval()
    for mode in ("script", "trace"):
        path = os.path.join(out, f"{name}_{mode}.pt")
        try:
            if mode == "script":
                saved = torch.jit.script(model)
            else:
                with torch.no_grad():
                    saved = torch.jit.trace(model, example, check_trace=False)
            saved.save(path)
            print(f"{name} {mode}: ok", flush=True)
        except Exception as e:  # noqa: BLE001 - report and go on: the survey lists what failed
            print(f"{name} {mode}: export failed: {str(e).splitlines()[0]}", flush=True)


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    wanted = set(sys.argv[2:])
    for name, (make, example) in architectures().items():
        if not wanted or name in wanted:
            export(name, make, example, out)
