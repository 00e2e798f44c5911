#!/usr/bin/python3
"""Developer-only reference timing: ActGrad kernel scores and a 13-level sweep evaluation written
the way the paper's public circuit-pruning code does it (each conv dissected into a grouped conv
with one group per input channel whose per-kernel maps keep their gradient, batches of 3 images,
scores copied to the host after every batch), in eager PyTorch (Debian's python3-torch).

Run after `build/tests/bench/cx_bench_pruning` has written /tmp/cx_bench_alexnet.pt:
    OMP_NUM_THREADS=2 /usr/bin/python3 tests/bench/paper_style_actgrad.py [--quick]
Image content does not change the timings, so random images of the benchmark's shapes are used.
"""
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
QUICK = "--quick" in sys.argv
SPARSITIES = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.01, 0.005, 0.001]


class Dissected(torch.nn.Module):
    """conv(x) = sum_i W[:, i] * x_i, with the per-kernel maps W[o, i] * x_i materialised."""

    def __init__(self, weight, bias, stride, padding):
        super().__init__()
        self.weight, self.bias, self.stride, self.padding = weight, bias, stride, padding
        out, inp, k, _ = weight.shape
        self.dissected = weight.transpose(0, 1).reshape(inp * out, 1, k, k)  # differentiable view of the weight
        self.maps = None

    def forward(self, x):
        out, inp = self.weight.shape[:2]
        z = F.conv2d(x, self.dissected, None, self.stride, self.padding, 1, inp)
        z.retain_grad()
        self.maps = z
        n, _, h, w = z.shape
        return z.view(n, inp, out, h, w).sum(1) + self.bias.view(1, -1, 1, 1)


def layers_of(path, spec):
    m = torch.jit.load(path)
    params = dict(m.named_parameters())
    # Trainable parameters, as in the paper's code (gradients reach the dissected maps).
    return [(params[name + ".weight"].detach().requires_grad_(True), params[name + ".bias"].detach(), s, p, pool)
            for name, s, p, pool in spec]


def forward(layers, x, upto, convs):
    for k, (w, b, s, p, pool) in enumerate(layers[: upto + 1]):
        x = convs[k](x) if convs else F.conv2d(x, w, b, s, p)
        if k == upto:
            return x
        x = F.relu(x)
        if pool:
            x = F.max_pool2d(x, pool[0], pool[1])


def actgrad(layers, images, upto, unit):
    convs = [Dissected(w, b, s, p) for (w, b, s, p, _) in layers[: upto + 1]]
    scores = [torch.zeros(w.shape[0], w.shape[1]).numpy() for (w, *_rest) in layers[: upto + 1]]
    for start in range(0, images.shape[0], 3):
        x = images[start:start + 3]
        y = forward(layers, x, upto, convs)
        y[:, unit].abs().sum().backward()
        for k, c in enumerate(convs):
            n, _, h, w = c.maps.shape
            inp, out = layers[k][0].shape[1], layers[k][0].shape[0]
            s = (c.maps * c.maps.grad).abs().mean((2, 3)).view(n, inp, out).sum(0).t()
            scores[k] += s.detach().cpu().numpy()  # host copy per batch
    return [torch.from_numpy(s) for s in scores]


def evaluate(layers, images, upto, unit, scores):
    layers = [(w.detach(), b, s, p, pool) for (w, b, s, p, pool) in layers]
    flat = torch.cat([s.flatten() for s in scores])
    order = flat.argsort(descending=True)
    with torch.no_grad():
        for level in SPARSITIES:
            keep = torch.zeros_like(flat, dtype=torch.bool)
            keep[order[: max(1, round(level * flat.numel()))]] = True
            masked, offset = [], 0
            for (w, b, s, p, pool), sc in zip(layers, scores):
                m = keep[offset: offset + sc.numel()].view(sc.shape).float()
                offset += sc.numel()
                masked.append((w * m[:, :, None, None], b, s, p, pool))
            for start in range(0, images.shape[0], 3):
                forward(masked, images[start:start + 3], upto, None)[:, unit]


def run(name, layers, images, upto, unit):
    t0 = time.perf_counter()
    scores = actgrad(layers, images, upto, unit)
    t1 = time.perf_counter()
    evaluate(layers[: upto + 1], images, upto, unit, scores)
    t2 = time.perf_counter()
    print(f"{name}: {images.shape[0]} images, ActGrad scoring {t1 - t0:.3f} s, 13-level evaluation {t2 - t1:.3f} s, "
          f"sweep (scoring + evaluation) {t2 - t0:.3f} s")


if __name__ == "__main__":
    demo = layers_of("resources/demo/shapes_cnn.pt", [
        ("features.conv1", 1, 2, (2, 2)), ("features.conv2", 1, 1, (2, 2)), ("features.conv3", 1, 1, None),
        ("features.conv4", 1, 1, None)])
    run("demo CNN, features.conv4:27", demo, torch.rand(128 if QUICK else 512, 3, 64, 64), 3, 27)
    alex = layers_of("/tmp/cx_bench_alexnet.pt", [
        ("features.c0", 4, 2, (3, 2)), ("features.c3", 1, 2, (3, 2)), ("features.c6", 1, 1, None),
        ("features.c8", 1, 1, None)])
    run("AlexNet-shaped, features.c8:17", alex, torch.randn(16 if QUICK else 64, 3, 224, 224), 3, 17)
