"""Positional encodings: the sinusoidal table, its rotation identity, RoPE and ALiBi.

Sinusoidal (Vaswani et al., 2017), for pair i = 0 … d/2 − 1 with frequency ω_i = base^(−2i/d):

    PE(p, 2i) = sin(ω_i p),   PE(p, 2i + 1) = cos(ω_i p)

The wavelengths 2π/ω_i form a geometric progression from 2π up towards 2π·base. Because
sin and cos of ω(p + k) are fixed linear combinations of sin and cos of ωp, PE(p + k) = M_k PE(p)
for the block-diagonal rotation M_k (one 2 × 2 block [[cos ω_i k, sin ω_i k], [−sin ω_i k,
cos ω_i k]] per pair), whatever p is; hence PE(p)·PE(q) = Σ_i cos(ω_i (p − q)) depends only on
p − q.

RoPE (Su et al., 2021) rotates each pair (x_2i, x_2i+1) of a query or key at position p by the
angle p·ω_i; a dot product of a rotated query and key then depends on their offset only.
ALiBi (Press et al., 2022) adds −m_h·(i − j) to the score of query i and key j ≤ i, with one
slope m_h per head from a geometric sequence.

Functions take NumPy arrays (and `apply_rope` torch tensors too) and raise ValueError with a
message for the learner on bad settings.
"""

from __future__ import annotations

import math

import numpy as np

MAX_LENGTH = 4096
MAX_D_MODEL = 2048


def check(length: int, d_model: int, base: float) -> None:
    """ValueError, in words a learner understands, for settings no encoding can have."""
    if not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"the sequence length must be a whole number of at least 1, not {length}.")
    if length > MAX_LENGTH:
        raise ValueError(f"the sequence length can be at most {MAX_LENGTH:,} here, not {length:,}.")
    if not isinstance(d_model, (int, np.integer)) or d_model < 2 or d_model % 2:
        raise ValueError(f"d_model must be an even number of at least 2 (sin and cos come in pairs), not {d_model}.")
    if d_model > MAX_D_MODEL:
        raise ValueError(f"d_model can be at most {MAX_D_MODEL:,} here, not {d_model:,}.")
    if not math.isfinite(base) or base <= 1:
        raise ValueError(f"the base must be a number greater than 1 (it sets the longest wavelength), not {base:g}.")


def frequencies(d_model: int, base: float = 10000.0) -> np.ndarray:
    """ω_i = base^(−2i/d) for i = 0 … d/2 − 1."""
    return base ** (-np.arange(0, d_model, 2, dtype=float) / d_model)


def wavelengths(d_model: int, base: float = 10000.0) -> np.ndarray:
    """2π/ω_i: from 2π for the first pair up towards 2π·base."""
    return 2 * np.pi / frequencies(d_model, base)


def sinusoidal(length: int, d_model: int, base: float = 10000.0) -> np.ndarray:
    """The (length, d_model) table PE[p, 2i] = sin(ω_i p), PE[p, 2i + 1] = cos(ω_i p)."""
    check(length, d_model, base)
    angles = np.arange(length, dtype=float)[:, None] * frequencies(d_model, base)[None, :]
    pe = np.empty((length, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe


def rotation_matrix(k: float, d_model: int, base: float = 10000.0) -> np.ndarray:
    """M_k with PE(p + k) = M_k · PE(p) for every p: one 2 × 2 rotation per (sin, cos) pair."""
    m = np.zeros((d_model, d_model))
    for i, w in enumerate(frequencies(d_model, base)):
        c, s = math.cos(w * k), math.sin(w * k)
        m[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = [[c, s], [-s, c]]
    return m


def similarity(pe: np.ndarray, cosine: bool = False) -> np.ndarray:
    """PE(p)·PE(q) for all p, q (or their cosine similarity)."""
    dots = pe @ pe.T
    if cosine:
        norms = np.linalg.norm(pe, axis=1)
        dots = dots / np.outer(norms, norms)
    return dots


def min_pairwise_distance(pe: np.ndarray) -> tuple[float, int, int]:
    """The smallest ‖PE(p) − PE(q)‖ over p ≠ q, and where: all rows distinct iff it is > 0."""
    sq = np.sum(pe * pe, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * pe @ pe.T, 0.0)
    np.fill_diagonal(d2, np.inf)
    p, q = np.unravel_index(int(np.argmin(d2)), d2.shape)
    return float(np.sqrt(d2[p, q])), int(min(p, q)), int(max(p, q))


def rope_angles(positions, d_model: int, base: float = 10000.0) -> np.ndarray:
    """(n, d/2) rotation angles p·ω_i."""
    return np.asarray(positions, dtype=float)[:, None] * frequencies(d_model, base)[None, :]


def apply_rope(x, positions, base: float = 10000.0):
    """Rotate each pair (x_2i, x_2i+1) of the vectors x (..., n, d) at positions p by p·ω_i.
    NumPy in, NumPy out; torch in, torch out (same dtype and device)."""
    d = x.shape[-1]
    if d % 2:
        raise ValueError(f"RoPE rotates pairs of coordinates: the width must be even, not {d}.")
    angles = rope_angles(positions, d, base)
    cos, sin = np.cos(angles), np.sin(angles)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency of the engine
        torch = None
    if torch is not None and isinstance(x, torch.Tensor):
        cos = torch.as_tensor(cos, dtype=x.dtype, device=x.device)
        sin = torch.as_tensor(sin, dtype=x.dtype, device=x.device)
        out = torch.empty_like(x)
    else:
        out = np.empty_like(np.asarray(x, dtype=float))
    even, odd = x[..., 0::2], x[..., 1::2]
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
    return out


def alibi_slopes(heads: int) -> np.ndarray:
    """Press et al.'s slopes: for h a power of two, 2^(−8/h), 2^(−16/h), …, 2^(−8); otherwise the
    slopes of the power of two below h, then every other slope of twice that power."""
    if heads < 1:
        raise ValueError(f"ALiBi needs at least one head, not {heads}.")

    def power_of_two(n: int) -> list[float]:
        start = 2.0 ** (-8.0 / n)
        return [start ** (i + 1) for i in range(n)]

    if heads & (heads - 1) == 0:
        return np.array(power_of_two(heads))
    below = 2 ** int(math.floor(math.log2(heads)))
    return np.array(power_of_two(below) + power_of_two(2 * below)[0::2][: heads - below])


def alibi_bias(n: int, heads: int, causal: bool = True) -> np.ndarray:
    """(heads, n, n) biases added to the attention scores: −m_h·(i − j) for keys j ≤ i of query
    i (later keys are masked separately when causal), −m_h·|i − j| when not causal."""
    i = np.arange(n)[:, None]
    j = np.arange(n)[None, :]
    distance = np.where(j <= i, i - j, 0) if causal else np.abs(i - j)
    return -alibi_slopes(heads)[:, None, None] * distance[None, :, :]


def worked_example(tokens: list[str], d_model: int = 4, base: float = 10000.0) -> list[tuple[str, int, np.ndarray]]:
    """(token, position, PE row) for a short sentence: the real numbers, to set against the
    source notes' invented ones."""
    pe = sinusoidal(max(len(tokens), 1), d_model, base)
    return [(token, p, pe[p]) for p, token in enumerate(tokens)]
