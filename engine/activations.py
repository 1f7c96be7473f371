"""Activation functions by name, so configs hold names and the engine resolves them.

Two forms of the same functions: `ACTIVATIONS` gives torch modules (for autograd models), and
`FUNCTIONS` gives NumPy pairs (g, g') for hand-written back-propagation, where g' is computed
from the pre-activation z and the activation a = g(z) (whichever is cheaper). Swish is x·σ(x);
Leaky ReLU uses slope α = 0.01 for x < 0; GELU is the tanh approximation
0.5·z·(1 + tanh(√(2/π)(z + 0.044715 z³))) in both forms, so the two always agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from torch import nn

LEAKY_SLOPE = 0.01
_GELU_C = math.sqrt(2.0 / math.pi)

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "linear": nn.Identity,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(LEAKY_SLOPE),
    "gelu": lambda: nn.GELU(approximate="tanh"),
    "swish": nn.SiLU,
}

LABELS = {
    "linear": "linear", "sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU",
    "leaky_relu": "Leaky ReLU", "gelu": "GELU", "swish": "Swish",
}


def sigmoid(z: np.ndarray) -> np.ndarray:
    # exp of a non-positive number never overflows
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _gelu(z: np.ndarray) -> np.ndarray:
    return 0.5 * z * (1.0 + np.tanh(_GELU_C * (z + 0.044715 * z**3)))


def _gelu_prime(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    t = np.tanh(_GELU_C * (z + 0.044715 * z**3))
    return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * _GELU_C * (1.0 + 3 * 0.044715 * z * z)


def _swish_prime(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s + a * (1.0 - s)  # d/dz z·σ(z) = σ + z·σ·(1 − σ) = σ + a·(1 − σ)


# name -> (g(z), g'(z, a))
FUNCTIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "linear": (lambda z: z, lambda z, a: np.ones_like(z)),
    "sigmoid": (sigmoid, lambda z, a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
    "leaky_relu": (lambda z: np.where(z > 0, z, LEAKY_SLOPE * z), lambda z, a: np.where(z > 0, 1.0, LEAKY_SLOPE)),
    "gelu": (_gelu, _gelu_prime),
    "swish": (lambda z: z * sigmoid(z), _swish_prime),
}
