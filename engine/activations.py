"""Activation functions by name, so configs hold names and the engine resolves them.

Swish is x·σ(x) (PyTorch's SiLU); Leaky ReLU uses slope α = 0.01 for x < 0 unless a page asks
for another α.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "linear": nn.Identity,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "gelu": nn.GELU,
    "swish": nn.SiLU,
}
