"""Why order matters: without position information, self-attention cannot tell word order apart.

Attention's output for token i is Σ_j softmax_j(q_i·k_j) v_j — a sum over the other tokens, which
does not care in which order they come. Permute the input tokens by π and every q, k, v is
permuted the same way, so the outputs are permuted by π too (permutation equivariance), and any
order-free summary of them, such as their mean, is unchanged: "the cat chased the mouse" and
"the mouse chased the cat" pool to the same vector. Adding a position code to the embeddings
(sinusoidal, learned) or rotating q and k by position (RoPE) or biasing by distance (ALiBi)
breaks the symmetry, and the two sentences pool differently.

The demo is one untrained, bidirectional (non-causal) attention layer with 2 heads and seeded
weights, in float64 so that "identical" means equal up to ~1e-15. Each word's embedding is drawn
from a generator seeded by (seed, a checksum of the word), so the same word gets the same vector
in both sentences and in every call. A "learned" table is a seeded random one, as at initialisation.
"""

from __future__ import annotations

import zlib

import numpy as np
import torch

from engine.attention.core import POSITIONAL, MultiHeadAttention
from engine.attention.positional import sinusoidal

HEADS = 2


def word_vector(word: str, d_model: int, seed: int) -> np.ndarray:
    """A N(0, 1) vector that depends only on the word, d_model and the seed."""
    return np.random.default_rng([seed, zlib.crc32(word.encode("utf-8"))]).standard_normal(d_model)


def permutation(tokens_a: list[str], tokens_b: list[str]) -> list[int] | None:
    """perm with tokens_b[i] == tokens_a[perm[i]] when b is a reordering of a (repeated words are
    matched in order of appearance), else None."""
    if sorted(tokens_a) != sorted(tokens_b):
        return None
    unused: dict[str, list[int]] = {}
    for i, word in enumerate(tokens_a):
        unused.setdefault(word, []).append(i)
    return [unused[word].pop(0) for word in tokens_b]


def order_test(tokens_a: list[str], tokens_b: list[str], d_model: int = 16, seed: int = 0, positional: str = "none") -> dict:
    """Run both sentences through the same attention layer and compare.

    Returns plain data: "outputs_a"/"outputs_b" (n, d_model), "weights_a"/"weights_b" (heads, n, n),
    "pooled_a"/"pooled_b" (d_model,) means over tokens, "difference" = max |pooled_a − pooled_b|,
    "permutation" (see `permutation`, None when b is not a reordering of a) and "equivariance_error"
    = max |outputs_b − outputs_a[perm]| (None without a permutation)."""
    if not tokens_a or not tokens_b:
        raise ValueError("each sentence needs at least one word.")
    if positional not in POSITIONAL:
        raise ValueError(f"positional must be one of {', '.join(POSITIONAL)}, not {positional!r}.")
    if d_model < 2 * HEADS or d_model % (2 * HEADS):
        raise ValueError(f"d_model must be a multiple of {2 * HEADS} here ({HEADS} heads of even width), not {d_model}.")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layer = MultiHeadAttention(d_model, HEADS, causal=False, positional=positional).double()
        table = torch.randn(max(len(tokens_a), len(tokens_b)), d_model, dtype=torch.float64)  # the "learned" rows

    def run(tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        x = np.stack([word_vector(w, d_model, seed) for w in tokens])  # (n, d_model)
        if positional == "sinusoidal":
            x = x + sinusoidal(len(tokens), d_model)
        elif positional == "learned":
            x = x + table[: len(tokens)].numpy()
        with torch.no_grad():
            out, weights = layer(torch.from_numpy(x)[None])  # (1, n, d_model), (1, heads, n, n)
        return out[0].numpy(), weights[0].numpy()

    outputs_a, weights_a = run(tokens_a)
    outputs_b, weights_b = run(tokens_b)
    pooled_a, pooled_b = outputs_a.mean(axis=0), outputs_b.mean(axis=0)
    perm = permutation(tokens_a, tokens_b)
    return {
        "outputs_a": outputs_a, "outputs_b": outputs_b, "weights_a": weights_a, "weights_b": weights_b,
        "pooled_a": pooled_a, "pooled_b": pooled_b,
        "difference": float(np.abs(pooled_a - pooled_b).max()),
        "permutation": perm,
        "equivariance_error": None if perm is None else float(np.abs(outputs_b - outputs_a[perm]).max()),
    }
