"""Exponentially weighted averages, the idea inside momentum, RMSprop and Adam.

    v_0 = 0,   v_t = β v_{t−1} + (1 − β) θ_t,   corrected: v̂_t = v_t / (1 − β^t)

v_t weights θ_{t−k} by (1 − β) β^k: it averages over about 1/(1 − β) recent points (older
points together weigh β^{1/(1−β)} ≈ 1/e). Starting from v_0 = 0 pulls the early averages towards
0 — the weights so far sum to 1 − β^t, not 1 — and dividing by 1 − β^t removes that dip.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Series:
    t: np.ndarray  # 1 … n
    clean: np.ndarray  # the signal under the noise
    noisy: np.ndarray  # what the average sees


def noisy_series(n: int = 200, noise: float = 3.0, seed: int = 0) -> Series:
    """A seasonal signal (think of daily temperatures) plus Gaussian noise."""
    t = np.arange(1, n + 1, dtype=float)
    clean = 12.0 + 8.0 * np.sin(2 * np.pi * (t - 40.0) / 365.0 * 1.6)
    noisy = clean + noise * np.random.default_rng(seed).standard_normal(n)
    return Series(t, clean, noisy)


def ewa(values: np.ndarray, beta: float, bias_correction: bool = False) -> np.ndarray:
    """v_1 … v_n of the values (v_0 = 0), divided by 1 − β^t when bias_correction is on."""
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"β must be in [0, 1), not {beta}")
    out = np.empty(len(values))
    v = 0.0
    for i, x in enumerate(values):
        v = beta * v + (1.0 - beta) * x
        out[i] = v
    if bias_correction:
        out /= 1.0 - beta ** np.arange(1, len(values) + 1)
    return out


def window(beta: float) -> float:
    """How many recent points the average roughly spans: 1 / (1 − β)."""
    return 1.0 / (1.0 - beta)
