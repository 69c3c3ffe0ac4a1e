"""The graphs of the engine benchmark: ONE piece of Python code per graph, run unchanged on every
implementation.  Each builder takes `leaf` (float -> differentiable input) and returns
(output node, list of leaves whose gradients are compared).

Only micrograd's operator set is used where micrograd takes part: + - * / with Values or floats,
`** float`, `.relu()`.  micrograd 0.1.0 (PyPI) has no tanh/exp/log, so `chain_tanh` runs on
gradcli and PyTorch only.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

Leaf = Callable[[float], Any]


def chain(leaf: Leaf, steps: int) -> tuple[Any, list]:
    """A long chain mixing the operators micrograd has.  Every step has a fixed point at x = 1
    with a derivative there of 1 or 0.995, so values stay bounded and the gradient decays only
    by 0.99 per 4 steps: no node's gradient underflows to 0 (an engine that skips zero
    gradients would otherwise skip most of the backward pass).  ~5 gradcli nodes per step."""
    x0, w, b, c = leaf(0.8), leaf(0.995), leaf(0.005), leaf(0.5)
    x = x0
    for i in range(steps):
        k = i & 3
        if k == 0:
            x = x * w + b  # affine
        elif k == 1:
            x = (x - c).relu() + c * 0.5 + 0.25  # relu, subtraction
        elif k == 2:
            x = x / (x * 0.005 + 0.995)  # division, constants
        else:
            x = x**2 * 0.5 + 0.5  # power with a constant exponent
    return x, [x0, w, b, c]


def chain_tanh(leaf: Leaf, steps: int) -> tuple[Any, list]:
    """A long chain of transcendental functions: tanh(x*w + b) with w = 1, b = 0 (x decays
    slowly towards 0, where tanh' = 1), and log(exp(x) * s) - 0.1 with s = e^0.1 (derivative 1):
    no gradient vanishes.  ~4.5 gradcli nodes per step."""
    x0, w, b, s = leaf(0.3), leaf(1.0), leaf(0.0), leaf(math.exp(0.1))
    x = x0
    for i in range(steps):
        if i & 1:
            x = (x * w + b).tanh()
        else:
            x = (x.exp() * s).log() - 0.1
    return x, [x0, w, b, s]


def mlp(leaf: Leaf, points: int, sizes: tuple[int, ...] = (3, 16, 16, 1), seed: int = 1) -> tuple[Any, list]:
    """micrograd's nn, unrolled: neurons sum(w*x) + b, relu on hidden layers, linear output, and a
    mean squared error over `points` fixed inputs.  The parameters are the leaves."""
    rng = random.Random(seed)
    layers = []
    params = []
    for nin, nout in zip(sizes, sizes[1:]):
        layer = []
        for _ in range(nout):
            w = [leaf(rng.uniform(-1, 1)) for _ in range(nin)]
            b = leaf(rng.uniform(-0.1, 0.1))
            layer.append((w, b))
            params += w + [b]
        layers.append(layer)
    data = [[rng.uniform(-2, 2) for _ in range(sizes[0])] for _ in range(points)]
    targets = [rng.choice((-1.0, 1.0)) for _ in range(points)]

    loss = 0.0
    for xs, y in zip(data, targets):
        act = xs
        for depth, layer in enumerate(layers):
            last = depth == len(layers) - 1
            out = []
            for w, b in layer:
                s = sum((wi * xi for wi, xi in zip(w, act)), b)  # micrograd's Neuron.__call__
                out.append(s if last else s.relu())
            act = out
        loss = loss + (act[0] - y) ** 2
    return loss * (1.0 / points), params


GRAPHS = {"chain": chain, "chain_tanh": chain_tanh, "mlp": mlp}
