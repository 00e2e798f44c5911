#!/usr/bin/env python3
"""Writes the token-model fixtures of the CLI tests (tests/data/text): a tiny corpus, its
word-level tokenizer.json (the project's format: [PAD] [UNK] [MASK] [BOS] [EOS], then the words),
a hand-built 'language model' whose neuron detect:0 is 1 on "dog" right after "big" or "huge"
(0 on "dog" elsewhere, -1 on most tokens) and detect:1 is the token "cat", and a fixed masked
'language model' (a linear head with no weight) that ranks huge > red > cat > the rest everywhere.
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


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "text"))
