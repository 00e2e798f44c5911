#!/usr/bin/python3
"""Developer-only: writes tests/data/models/two_colours.pt, a hand-set polysemantic unit.

conv1 (1x1) has a red detector (channel 0 of the input) and a blue one (channel 2); conv2 (3x3,
no padding) unit 0 sums both, unit 1 reads red only, unit 2 blue only. So conv2:0 answers red and
blue images alike, while conv2's population tells them apart: its top patches form two clusters,
each computed by its own path. Run with Debian's python3-torch: `/usr/bin/python3 THIS`.
"""
import os
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")


class TwoColours(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 2, 1)
        self.conv2 = nn.Conv2d(2, 3, 3)
        with torch.no_grad():
            self.conv1.weight.zero_()
            self.conv1.bias.zero_()
            self.conv1.weight[0, 0] = 1.0  # red
            self.conv1.weight[1, 2] = 1.0  # blue
            self.conv2.weight.zero_()
            self.conv2.bias.zero_()
            self.conv2.weight[0, 0] = 1.0 / 9
            self.conv2.weight[0, 1] = 1.0 / 9
            self.conv2.weight[1, 0] = 1.0 / 9
            self.conv2.weight[2, 1] = 1.0 / 9

    def forward(self, x):
        return self.conv2(torch.relu(self.conv1(x)))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.jit.script(TwoColours().eval()).save(os.path.join(OUT, "two_colours.pt"))
    print("wrote two_colours.pt")
