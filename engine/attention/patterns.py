"""Attention patterns (which query may look at which key) and what full and windowed attention cost.

A mask here is an (n, n) bool array with True = BLOCKED, the convention of core.causal_mask and
core.attention(mask=…), so a pattern can be handed to attention() as it is; the pairs that are
computed are the False cells, and fraction_computed counts them. The kinds, for query i, key j:

    full           every pair                                 n² pairs
    causal         j ≤ i                                      n(n + 1)/2
    window         |i − j| ≤ w (sliding window)               ≈ n(2w + 1)
    dilated        |i − j| = m·r for m = 0 … w (dilation r)   ≈ n(2w + 1), reaching r times as far
    global_window  the window, plus g global tokens that see and are seen by everyone
    block          i and j in the same block of b tokens      ≈ n·b

`causal=True` keeps only j ≤ i of any pattern. Full attention costs O(n²) in time and memory: its
score matrix is n × n. Sliding-window attention computed by masking that matrix would cost the
same, so `window_attention` never builds it: queries go in blocks of B = w, and block k only
scores keys in blocks k − 1, k, k + 1 (3B keys, enough for |i − j| ≤ w), so time and memory are
O(n·w). `measure_cost` times both on a device and counts their memory from the tensor shapes.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

KINDS = ("full", "causal", "window", "dilated", "global_window", "block")
KIND_LABELS = {"full": "Full", "causal": "Causal", "window": "Sliding window", "dilated": "Dilated window",
               "global_window": "Global + window", "block": "Block-sparse"}
DESCRIPTIONS = {
    "full": "Every token attends to every token: n² scores.",
    "causal": "Each token attends to itself and the tokens before it, never the future (GPT-style).",
    "window": "Each token attends to the w tokens on each side of it (Longformer's local attention).",
    "dilated": "A window with gaps: every r-th token up to w·r away, so the same cost reaches r times further.",
    "global_window": "A sliding window plus g global tokens (e.g. [CLS]) that attend to and are attended by all.",
    "block": "The sequence is cut into blocks of b tokens; tokens attend only within their own block.",
}
LENGTHS = (64, 128, 256, 512, 1024, 2048, 4096)


def mask(kind: str, n: int, width: int = 2, dilation: int = 2, global_tokens: int = 1, block: int = 4,
         causal: bool = False) -> np.ndarray:
    """(n, n) bool, True = blocked (see the module docstring for each kind)."""
    if kind not in KINDS:
        raise ValueError(f"the pattern must be one of {', '.join(KINDS)}, not {kind!r}.")
    if n < 1 or width < 0 or dilation < 1 or global_tokens < 0 or block < 1:
        raise ValueError("n, dilation and block must be at least 1, width and global_tokens at least 0.")
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    offset = np.abs(i - j)
    allowed = {
        "full": lambda: np.ones((n, n), dtype=bool),
        "causal": lambda: j <= i,
        "window": lambda: offset <= width,
        "dilated": lambda: (offset % dilation == 0) & (offset <= width * dilation),
        "global_window": lambda: (offset <= width) | (i < global_tokens) | (j < global_tokens),
        "block": lambda: i // block == j // block,
    }[kind]()
    if causal:
        allowed = allowed & (j <= i)
    return ~np.broadcast_to(allowed, (n, n))


def fraction_computed(blocked: np.ndarray) -> float:
    """The share of the n² query-key pairs a pattern computes (its False cells)."""
    return float(1.0 - np.mean(blocked))


def full_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """softmax(q kᵀ/√d) v, (..., n, d) each, the n × n scores in full."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., n, n)
    return torch.softmax(scores, dim=-1) @ v


def _padded_blocks(x: torch.Tensor, B: int, blocks: int) -> torch.Tensor:
    """(..., n, d) → (..., blocks + 2, B, d): one block of zeros in front, zeros to fill the end."""
    n = x.shape[-2]
    return F.pad(x, (0, 0, B, (blocks + 1) * B - n)).unflatten(-2, (blocks + 2, B))


def window_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, width: int, causal: bool = False) -> torch.Tensor:
    """Sliding-window attention, query i attending to keys |i − j| ≤ width (and j ≤ i if causal),
    in O(n·width) time and memory; equal to full attention with mask("window", n, width)."""
    n, d = q.shape[-2], q.shape[-1]
    B = max(1, width)  # a block of B queries needs keys from B before to B after it
    blocks = -(-n // B)
    qb = _padded_blocks(q, B, blocks)[..., 1:-1, :, :]  # (..., blocks, B, d)
    kp, vp = _padded_blocks(k, B, blocks), _padded_blocks(v, B, blocks)  # (..., blocks + 2, B, d)
    kw = torch.cat([kp[..., :-2, :, :], kp[..., 1:-1, :, :], kp[..., 2:, :, :]], dim=-2)  # (..., blocks, 3B, d)
    vw = torch.cat([vp[..., :-2, :, :], vp[..., 1:-1, :, :], vp[..., 2:, :, :]], dim=-2)
    a = torch.arange(B, device=q.device)[:, None]  # query offset in its block
    c = torch.arange(3 * B, device=q.device)[None, :]  # key offset from the start of the block before
    key = torch.arange(blocks, device=q.device)[:, None, None] * B - B + c  # (blocks, 1, 3B) absolute key index
    distance = a + B - c  # i − j
    blocked = (distance.abs() > width) | (key < 0) | (key >= n)  # (blocks, B, 3B)
    if causal:
        blocked = blocked | (distance < 0)
    scores = (qb @ kw.transpose(-2, -1) / math.sqrt(d)).masked_fill(blocked, -math.inf)  # (..., blocks, B, 3B)
    # B ≤ width + 1, so even the padding queries past n have key n − 1 in reach: no row is all −inf.
    out = torch.softmax(scores, dim=-1) @ vw  # (..., blocks, B, d)
    return out.flatten(-3, -2)[..., :n, :]


def memory_bytes(kind: str, n: int, d: int, window: int, itemsize: int = 4) -> int:
    """Bytes one forward allocates beyond its inputs q, k, v, counted from the tensor shapes:
    full: scores and weights (2 n²) and the output (n d); window: the neighbour keys and values
    (2 · 3B d per block), scores and weights (2 · 3B² per block) and the output, B = max(1, w)."""
    if kind == "full":
        return itemsize * (2 * n * n + n * d)
    B = max(1, window)
    padded = -(-n // B) * B
    return itemsize * (2 * 3 * padded * d + 2 * 3 * padded * B + padded * d)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure_cost(lengths: Sequence[int] = LENGTHS, d: int = 64, kinds: Sequence[str] = ("full", "window"), window: int = 64,
                 device: str | torch.device = "cpu", repeats: int = 3, seed: int = 0) -> dict:
    """Time one float32 attention forward (one sequence, one head) for each length and kind.

    Returns {"lengths", "d", "width" (the window w), "device", and per kind a dict of: "time_s"
    (median of `repeats` runs after one warm-up), "memory_bytes" (memory_bytes above: exact from
    the shapes, the same on every device) and "peak_bytes" (on CUDA the measured
    torch.cuda.max_memory_allocated above the inputs, else None)}. The default sweep n = 64 … 4096
    takes about a second on one CPU core, so no length is capped."""
    device = torch.device(device)
    unknown = set(kinds) - {"full", "window"}
    if unknown:
        raise ValueError(f"cost is measured for full and window attention only, not {', '.join(sorted(unknown))}.")
    if not lengths or min(lengths) < 1 or max(lengths) > 16384:
        raise ValueError("lengths needs at least one sequence length, each between 1 and 16,384.")
    run = {"full": full_attention, "window": lambda q, k, v: window_attention(q, k, v, window)}
    g = torch.Generator().manual_seed(seed)
    result: dict = {"lengths": np.array(lengths), "d": d, "width": window, "device": str(device)}
    for kind in kinds:
        result[kind] = {"time_s": [], "memory_bytes": [], "peak_bytes": []}
    for n in lengths:
        q, k, v = (torch.randn(n, d, generator=g).to(device) for _ in range(3))
        for kind in kinds:
            with torch.no_grad():
                run[kind](q, k, v)  # warm-up: first-call allocations and kernel selection
                _sync(device)
                if device.type == "cuda":
                    torch.cuda.reset_peak_memory_stats(device)
                base = torch.cuda.memory_allocated(device) if device.type == "cuda" else 0
                times = []
                for _ in range(max(1, repeats)):
                    start = time.perf_counter()
                    run[kind](q, k, v)
                    _sync(device)
                    times.append(time.perf_counter() - start)
            peak = torch.cuda.max_memory_allocated(device) - base if device.type == "cuda" else None
            result[kind]["time_s"].append(statistics.median(times))
            result[kind]["memory_bytes"].append(memory_bytes(kind, n, d, window))
            result[kind]["peak_bytes"].append(peak)
    for kind in kinds:
        result[kind]["time_s"] = np.array(result[kind]["time_s"])
        result[kind]["memory_bytes"] = np.array(result[kind]["memory_bytes"])
    return result


def loglog_slope(lengths: Sequence[float], values: Sequence[float]) -> float:
    """Least-squares slope of log(value) against log(n) over the larger half of the lengths (at
    least two points): at small n fixed overheads hide the growth, at large n the n² (or n·w) term
    dominates, so the slope there is the exponent (≈ 2 for full attention, ≈ 1 for a window)."""
    x, y = np.log(np.asarray(lengths, dtype=float)), np.log(np.asarray(values, dtype=float))
    if len(x) < 2 or len(x) != len(y):
        raise ValueError("a slope needs at least two (length, value) pairs of equal count.")
    order = np.argsort(x)
    keep = order[len(x) - max(2, len(x) // 2 + len(x) % 2):]  # the larger half, middle point included
    return float(np.polyfit(x[keep], y[keep], 1)[0])
