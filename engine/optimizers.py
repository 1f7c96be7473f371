"""Optimizers as hand-written update rules, in PyTorch's conventions (ε outside the square root).

The learner sees the formula next to the path it produces, and a test checks every rule
against `torch.optim` step for step. Rules update one flat NumPy parameter vector in place (a
network keeps all its weights as views into one vector), so a step costs a handful of array
operations whatever the number of layers — small networks are bound by per-call overhead.

    SGD        θ ← θ − η g
    momentum   v ← β v + g,                      θ ← θ − η v
    Nesterov   v ← β v + g,                      θ ← θ − η (g + β v)
    AdaGrad    G ← G + g²,                       θ ← θ − η g / (√G + ε)
    RMSprop    s ← ρ s + (1 − ρ) g²,             θ ← θ − η g / (√s + ε)
    Adam       m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g²,
               m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t),  θ ← θ − η m̂ / (√v̂ + ε)
    AdamW      θ ← θ − η λ θ, then the Adam step (decoupled weight decay)
"""

from __future__ import annotations

import dataclasses

import numpy as np

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
LABELS = {"sgd": "SGD", "momentum": "momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
          "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}


@dataclasses.dataclass(frozen=True)
class OptimizerSpec:
    name: str = "sgd"
    momentum: float = 0.9  # β of momentum and Nesterov
    beta1: float = 0.9
    beta2: float = 0.999
    rho: float = 0.99  # RMSprop's decay (PyTorch's α; the course notes use 0.9)
    eps: float = 1e-8
    adagrad_eps: float = 1e-10  # PyTorch's AdaGrad default
    weight_decay: float = 0.01  # AdamW's λ
    bias_correction: bool = True  # Adam/AdamW: off, the early steps are up to 6.6× too large (m and √v are biased differently)


class Optimizer:
    """State for one parameter vector; `step` applies one update in place."""

    def __init__(self, spec: OptimizerSpec, size: int, dtype=np.float64) -> None:
        if spec.name not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {spec.name!r}")
        self.spec = spec
        self.t = 0
        self.m = np.zeros(size, dtype)  # velocity, G, s or Adam's first moment
        self.v = np.zeros(size, dtype) if spec.name in ("adam", "adamw") else None
        self._tmp = np.empty(size, dtype)

    def step(self, theta: np.ndarray, g: np.ndarray, lr: float) -> None:
        s, m, tmp = self.spec, self.m, self._tmp
        self.t += 1
        name = s.name
        if name == "sgd":
            np.multiply(g, lr, out=tmp)
            theta -= tmp
        elif name in ("momentum", "nesterov"):
            m *= s.momentum
            m += g
            if name == "momentum":
                np.multiply(m, lr, out=tmp)
            else:
                np.multiply(m, s.momentum, out=tmp)
                tmp += g
                tmp *= lr
            theta -= tmp
        elif name in ("adagrad", "rmsprop"):
            if name == "adagrad":
                m += g * g
            else:
                m *= s.rho
                m += (1.0 - s.rho) * g * g
            np.sqrt(m, out=tmp)
            tmp += s.adagrad_eps if name == "adagrad" else s.eps
            np.divide(g, tmp, out=tmp)
            tmp *= lr
            theta -= tmp
        else:
            if name == "adamw":
                theta *= 1.0 - lr * s.weight_decay
            v = self.v
            m *= s.beta1
            m += (1.0 - s.beta1) * g
            v *= s.beta2
            v += (1.0 - s.beta2) * g * g
            c1 = 1.0 - s.beta1**self.t if s.bias_correction else 1.0
            c2 = 1.0 - s.beta2**self.t if s.bias_correction else 1.0
            # θ ← θ − η (m/c1) / (√(v/c2) + ε)
            np.divide(v, c2, out=tmp)
            np.sqrt(tmp, out=tmp)
            tmp += s.eps
            np.divide(m, tmp, out=tmp)
            tmp *= lr / c1
            theta -= tmp
