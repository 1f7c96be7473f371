"""A tiny transformer for toy sequence tasks: embeddings, pre-LayerNorm blocks, a linear read-out.

tokens (B, n) -> token embedding (+ an absolute position code) -> `layers` blocks of
    x = x + MHA(LN(x));  x = x + FFN(LN(x))   with FFN(x) = W₂ ReLU(W₁ x), width 4·d_model
-> LN -> a linear map to vocabulary logits at every position.

Pre-LN (the norm inside the residual branch, GPT-2 style) keeps a clean identity path from input
to output, so small models train without warm-up. Where position enters depends on the scheme:
"sinusoidal" adds the fixed table PE(p) and "learned" adds a trained row E_pos[p] to each token's
embedding; "rope" and "alibi" act inside every attention layer; "none" gives no position at all
(a causal mask still lets a model infer some, e.g. from how many tokens it can see). A learned
table has rows for positions 0..max_len−1 only, so a longer sequence is an error, not a guess.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from engine.attention.core import POSITIONAL, MultiHeadAttention
from engine.attention.positional import sinusoidal


class Block(nn.Module):
    """One pre-LN residual block: attention, then a position-wise feed-forward network."""

    def __init__(self, d_model: int, heads: int, causal: bool, positional: str) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = MultiHeadAttention(d_model, heads, causal=causal, positional=positional)
        self.ffn = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.ReLU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out, weights = self.attn(self.ln1(x))
        x = x + out
        return x + self.ffn(self.ln2(x)), weights


class TinyTransformer(nn.Module):
    def __init__(self, vocab: int, d_model: int = 32, heads: int = 2, layers: int = 1, *, positional: str = "none",
                 causal: bool = True, max_len: int = 64) -> None:
        super().__init__()
        if positional not in POSITIONAL:
            raise ValueError(f"positional must be one of {', '.join(POSITIONAL)}, not {positional!r}.")
        if positional == "sinusoidal" and d_model % 2:
            raise ValueError(f"sinusoidal encodings come in sin/cos pairs, so d_model ({d_model}) must be even.")
        self.vocab, self.d_model, self.heads, self.layers = vocab, d_model, heads, layers
        self.positional, self.causal, self.max_len = positional, causal, max_len
        self.embed = nn.Embedding(vocab, d_model)
        self.pos_embed = nn.Embedding(max_len, d_model) if positional == "learned" else None
        self.blocks = nn.ModuleList(Block(d_model, heads, causal, positional) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def embed_positions(self, x: torch.Tensor) -> torch.Tensor:
        """Add the absolute position code to the embeddings x (B, n, d_model), if the scheme has one."""
        n = x.shape[1]
        if self.positional == "sinusoidal":
            return x + torch.as_tensor(sinusoidal(n, self.d_model), dtype=x.dtype, device=x.device)  # (n, d_model)
        if self.positional == "learned":
            if n > self.max_len:
                raise ValueError(f"this model's learned position table has only {self.max_len} entries "
                                 f"(positions 0–{self.max_len - 1}); a sequence of {n} tokens needs more. "
                                 "A learned table has nothing to look up past its maximum length.")
            return x + self.pos_embed(torch.arange(n, device=x.device))
        return x

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """tokens (B, n) long -> (logits (B, n, vocab), [weights (B, heads, n, n) per layer])."""
        x = self.embed_positions(self.embed(tokens))  # (B, n, d_model)
        attentions = []
        for block in self.blocks:
            x, weights = block(x)
            attentions.append(weights)
        return self.head(self.ln_f(x)), attentions


def build(*, seed: int = 0, device: torch.device | str | None = None, dtype: torch.dtype | None = None,
          **kwargs: Any) -> TinyTransformer:
    """A TinyTransformer(**kwargs) whose initial weights depend only on seed (the global RNG is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = TinyTransformer(**kwargs)
    return model.to(device=device, dtype=dtype)
