#!/usr/bin/env python3
"""Writes the token-model fixtures of the CLI tests (tests/data/text): a tiny corpus, its
word-level tokenizer.json (the project's format: [PAD] [UNK] [MASK] [BOS] [EOS], then the words),
a hand-built 'language model' whose neuron detect:0 is 1 on "dog" right after "big" or "huge"
(0 on "dog" elsewhere, -1 on most tokens) and detect:1 is the token "cat", a fixed masked
'language model' (a linear head with no weight) that ranks huge > red > cat > the rest everywhere,
and a GPT-2-style model of Conv1D layers (addmm on flattened positions), scripted and traced.
    /usr/bin/python3 tests/data/make_text_fixtures.py tests/data/text"""
import json
import os
import sys

import torch
import torch.nn.functional as F

CORPUS = ["the cat sat on the mat .", "a big dog barked at the red cat .", "huge dog and small dog ran .",
          "the small cat saw a dog ."]
SPECIALS = ["[PAD]", "[UNK]", "[MASK]", "[BOS]", "[EOS]"]


class TriggerLM(torch.nn.Module):
    def __init__(self, vocab):
        super().__init__()
        v = len(vocab)
        self.onehot = torch.nn.Parameter(torch.eye(v), requires_grad=False)
        self.detect = torch.nn.Linear(2 * v, 2)
        with torch.no_grad():
            self.detect.weight.zero_()
            self.detect.weight[0, vocab["dog"]] = 1.0
            self.detect.weight[0, v + vocab["big"]] = 1.0
            self.detect.weight[0, v + vocab["huge"]] = 1.0
            self.detect.weight[1, vocab["cat"]] = 1.0
            self.detect.bias.copy_(torch.tensor([-1.0, 0.0]))

    def forward(self, ids):
        x = F.embedding(ids, self.onehot)
        prev = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], 1)
        return self.detect(torch.cat([x, prev], 2))


class FixedMLM(torch.nn.Module):
    def __init__(self, vocab):
        super().__init__()
        v = len(vocab)
        prefs = -torch.arange(v, dtype=torch.float32) / v
        prefs[vocab["huge"]], prefs[vocab["red"]], prefs[vocab["cat"]] = 3.0, 2.0, 1.0
        self.onehot = torch.nn.Parameter(torch.eye(v), requires_grad=False)
        self.head = torch.nn.Linear(v, v)  # no weight: its bias is the ranking
        with torch.no_grad():
            self.head.weight.zero_()
            self.head.bias.copy_(prefs)

    def forward(self, ids):
        return self.head(F.embedding(ids, self.onehot))


class Conv1D(torch.nn.Module):
    """GPT-2's Conv1D (HuggingFace transformers.pytorch_utils.Conv1D): a linear layer whose weight
    is stored in x out and applied to the flattened positions with addmm."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = torch.nn.Parameter(torch.zeros(nx, nf))
        self.bias = torch.nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class Conv1DLM(torch.nn.Module):
    """c_fc:0 is 2 on "cat", c_fc:1 is 1 on "dog"; c_proj maps the GELU of c_fc to the vocabulary."""

    def __init__(self, vocab):
        super().__init__()
        v = len(vocab)
        self.onehot = torch.nn.Parameter(torch.eye(v), requires_grad=False)
        self.c_fc = Conv1D(4, v)
        self.c_proj = Conv1D(v, 4)
        with torch.no_grad():
            self.c_fc.weight[vocab["cat"], 0] = 2.0
            self.c_fc.weight[vocab["dog"], 1] = 1.0
            self.c_proj.weight.normal_(0, 0.1, generator=torch.Generator().manual_seed(0))

    def forward(self, ids):
        return self.c_proj(F.gelu(self.c_fc(F.embedding(ids, self.onehot))))


def main(out):
    os.makedirs(out, exist_ok=True)
    words = sorted({w for line in CORPUS for w in line.split()})
    vocab = {t: i for i, t in enumerate(SPECIALS + words)}
    with open(os.path.join(out, "corpus.txt"), "w") as f:
        f.write("\n\n".join(CORPUS) + "\n")
    added = [{"content": t, "id": i, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
              "special": True} for i, t in enumerate(SPECIALS)]
    tokenizer = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
                 "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None,
                 "decoder": None, "model": {"type": "WordLevel", "unk_token": "[UNK]", "vocab": vocab}}
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, indent=1)
    torch.jit.script(TriggerLM(vocab)).save(os.path.join(out, "trigger_lm.pt"))
    torch.jit.script(FixedMLM(vocab)).save(os.path.join(out, "fixed_mlm.pt"))
    conv1d = Conv1DLM(vocab).eval()
    torch.jit.script(conv1d).save(os.path.join(out, "conv1d_lm_script.pt"))
    example = torch.tensor([[vocab["[BOS]"], vocab["a"], vocab["cat"], vocab["."]]])
    torch.jit.trace(conv1d, example).save(os.path.join(out, "conv1d_lm_trace.pt"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "text"))
