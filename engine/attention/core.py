"""Scaled dot-product attention and multi-head attention, written out so each step can be seen.

Attention(Q, K, V) = softmax(QKᵀ/√d_k + B + M) V with Q = XW_Q, K = XW_K, V = XW_V: every query
scores every key, the scores of a row become weights that sum to 1, and the output is that
weighted average of the values. B is an additive bias (ALiBi's distance penalty) and M the mask,
−∞ where a query may not look (above the diagonal for a causal model). Dividing by √d_k keeps the
scores' spread near 1 whatever the head width: q·k of random N(0, 1) vectors has variance d_k, and
unscaled scores saturate the softmax (one weight → 1, its gradient → 0).

A row whose keys are all blocked has no distribution to take (softmax of all −∞ is 0/0 = NaN);
here such a query attends to nothing: its weights are all 0 and its output is the zero vector.

Multi-head attention splits d_model into `heads` heads of width d_model/heads, runs attention in
each, concatenates the heads' outputs and projects them with W_O. Of the positional schemes only
the relative ones act inside attention: RoPE rotates each head's q and k by their positions
(so q·k depends on the offset only), ALiBi adds −slope·distance to each head's scores. Sinusoidal
and learned encodings are added to the token embeddings before the first layer (see model.py).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from engine.attention.positional import alibi_bias, apply_rope

POSITIONAL = ("none", "sinusoidal", "learned", "rope", "alibi")


def causal_mask(n: int, device: torch.device | str | None = None) -> torch.Tensor:
    """(n, n) bool, True above the diagonal: query i may not see keys j > i."""
    return torch.ones(n, n, dtype=torch.bool, device=device).triu(1)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
              bias: torch.Tensor | None = None, scale: bool = True, temperature: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q kᵀ (/√d_k) / temperature + bias, blocked → −∞) v.

    q: (..., n_q, d_k), k: (..., n_k, d_k), v: (..., n_k, d_v); mask: bool broadcastable to
    (..., n_q, n_k), True = blocked; bias: float broadcastable to the same. Returns
    (out (..., n_q, d_v), weights (..., n_q, n_k)); a fully blocked row gets weights 0 and output 0."""
    if not temperature > 0:
        raise ValueError(f"the softmax temperature must be positive, not {temperature}.")
    scores = q @ k.transpose(-2, -1)  # (..., n_q, n_k)
    if scale:
        scores = scores / math.sqrt(q.shape[-1])
    if temperature != 1.0:
        scores = scores / temperature
    if bias is not None:
        scores = scores + bias
    if mask is not None:
        scores = scores.masked_fill(mask, -math.inf)
    empty = torch.isneginf(scores).all(dim=-1, keepdim=True)  # (..., n_q, 1): nothing to attend to
    if empty.any():
        weights = torch.softmax(scores.masked_fill(empty, 0.0), dim=-1).masked_fill(empty, 0.0)
    else:
        weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


class MultiHeadAttention(nn.Module):
    """Self-attention with `heads` heads of width d_model/heads.

    positional: "rope" rotates q and k per head, "alibi" adds each head's distance bias; "none",
    "sinusoidal" and "learned" do nothing here (the last two act on the embeddings)."""

    def __init__(self, d_model: int, heads: int, *, causal: bool = False, positional: str = "none",
                 bias: bool = True, scale: bool = True, base: float = 10000.0) -> None:
        super().__init__()
        if heads < 1 or d_model % heads != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by the number of heads ({heads}): "
                             "each head gets an equal share of width d_model / heads.")
        if positional not in POSITIONAL:
            raise ValueError(f"positional must be one of {', '.join(POSITIONAL)}, not {positional!r}.")
        if positional == "rope" and (d_model // heads) % 2:
            raise ValueError(f"RoPE rotates pairs of coordinates, so the head width d_model / heads ({d_model // heads}) must be even.")
        self.d_model, self.heads, self.d_head = d_model, heads, d_model // heads
        self.causal, self.positional, self.scale, self.base = causal, positional, scale, base
        self.W_Q = nn.Linear(d_model, d_model, bias=bias)
        self.W_K = nn.Linear(d_model, d_model, bias=bias)
        self.W_V = nn.Linear(d_model, d_model, bias=bias)
        self.W_O = nn.Linear(d_model, d_model, bias=bias)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """(B, n, d_model) -> (B, heads, n, d_head)."""
        B, n, _ = x.shape
        return x.view(B, n, self.heads, self.d_head).transpose(1, 2)

    def forward(self, x: torch.Tensor, head_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, n, d_model) -> (out (B, n, d_model), weights (B, heads, n, n)). head_mask (heads,)
        of 0/1 ablates heads: a 0 zeroes that head's output before W_O (its weights are still returned)."""
        B, n, _ = x.shape
        q, k, v = self.split(self.W_Q(x)), self.split(self.W_K(x)), self.split(self.W_V(x))  # (B, h, n, d_head)
        if self.positional == "rope":
            positions = np.arange(n)
            q, k = apply_rope(q, positions, self.base), apply_rope(k, positions, self.base)
        bias = None
        if self.positional == "alibi":
            bias = torch.as_tensor(alibi_bias(n, self.heads, causal=self.causal), dtype=x.dtype, device=x.device)  # (h, n, n)
        mask = causal_mask(n, x.device) if self.causal else None
        out, weights = attention(q, k, v, mask=mask, bias=bias, scale=self.scale)  # (B, h, n, d_head), (B, h, n, n)
        if head_mask is not None:
            out = out * torch.as_tensor(head_mask, dtype=out.dtype, device=out.device).view(1, self.heads, 1, 1)
        out = out.transpose(1, 2).reshape(B, n, self.d_model)  # concatenate the heads
        return self.W_O(out), weights
