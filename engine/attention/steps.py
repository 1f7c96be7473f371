"""Attention step by step on the learner's own text, in NumPy float64, every stage kept for display.

The text becomes tokens (words or characters), each token an embedding row of X (n, d_model) — a
seeded random vector per token string, so the same token always gets the same vector — plus the
sinusoidal position table when positions are on. Each head h has its own W_Q, W_K, W_V
(d_model × d_k) and computes

    Q = X W_Q,  K = X W_K,  V = X W_V                     (n × d_k each)
    S = Q Kᵀ  →  S / √d_k (scaling on)  →  ÷ T (temperature)  →  −∞ where masked  →  softmax by row
    head = weights · V                                     (n × d_k)

and the heads' outputs, concatenated side by side (n × d_model), are projected by W_O. The head
width follows the curriculum: d_k = d_model / heads, so the learner picks d_model and heads and
d_k is derived (d_model must be divisible by heads). Projections have no biases, so every stage
is one plain matrix product. Weights are N(0, 1/d_model), which keeps Q, K, V entries near unit
variance: unscaled scores then have variance ≈ d_k, the reason for the √d_k.

`saturation` measures that reason directly: for q, k ~ N(0, I_d) the score q·k has standard
deviation √d, so without scaling the softmax over n keys puts almost all its weight on one key
(max weight → 1, entropy → 0, gradient → 0) as d grows; with scaling the picture stays the same.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np

from engine.attention.positional import sinusoidal
from engine.config import Config, ConfigError, check_range

LEVELS = ("word", "char")
MAX_TOKENS = 128  # the most tokens a step-through shows; longer text is cut (see tokenize)


# -- tokens ---------------------------------------------------------------------------------------
def _is_extend(ch: str) -> bool:
    """Code points that belong to the character before them: combining marks, variation selectors
    (the U+FE0F that makes ❤ into ❤️), emoji skin tones and tag characters."""
    cp = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Me", "Mc") or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF
            or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F)


def _characters(text: str) -> Iterator[str]:
    """Grapheme-like clusters: a base code point with its extending marks, emoji joined by U+200D
    (👩‍💻) and pairs of regional indicators (flags) kept whole; each run of whitespace is one " "."""
    cluster = ""
    for ch in text:
        regional = 0x1F1E6 <= ord(ch) <= 0x1F1FF
        pair = regional and len(cluster) == 1 and 0x1F1E6 <= ord(cluster) <= 0x1F1FF
        if cluster and (_is_extend(ch) or ch == "\u200d" or cluster.endswith("\u200d") or pair):
            cluster += ch
            continue
        if ch.isspace():
            if cluster != " ":
                if cluster:
                    yield cluster
                cluster = " "
            continue
        if cluster:
            yield cluster
        cluster = ch
    if cluster:
        yield cluster


def _words(text: str) -> Iterator[str]:
    """Whitespace-separated words, with leading and trailing punctuation (Unicode category P*) split
    off as tokens of their own: "(cat)." → "(", "cat", ")", "."; inner marks stay ("don't")."""
    for word in text.split():
        lead, trail = [], []
        while word and unicodedata.category(word[0]).startswith("P"):
            lead.append(word[0])
            word = word[1:]
        while word and unicodedata.category(word[-1]).startswith("P"):
            trail.insert(0, word[-1])
            word = word[:-1]
        yield from lead
        if word:
            yield word
        yield from trail


def tokenize(text: str, level: str = "word", max_tokens: int = 32) -> tuple[list[str], bool]:
    """(tokens, truncated). The text is first NFC-normalised (so "é" is one code point whatever
    the keyboard sent). level "word": see _words; scripts written without spaces (Chinese,
    Japanese, Thai) give one word per run: use "char" for them. level "char": see _characters;
    leading and trailing whitespace is dropped. Text with more than max_tokens tokens gives the
    first max_tokens and truncated=True (the rest is never tokenised). Empty text: ValueError."""
    if level not in LEVELS:
        raise ValueError(f"the token level must be one of {', '.join(LEVELS)}, not {level!r}.")
    if not 1 <= max_tokens <= MAX_TOKENS:
        raise ValueError(f"max_tokens must be between 1 and {MAX_TOKENS}, not {max_tokens}.")
    text = unicodedata.normalize("NFC", text or "").strip()
    if not text:
        raise ValueError("the text is empty: type a sentence (or pick an example) to see attention at work.")
    stream = _words(text) if level == "word" else _characters(text)
    tokens = list(itertools.islice(stream, max_tokens + 1))
    return tokens[:max_tokens], len(tokens) > max_tokens


def token_embedding(token: str, d_model: int, seed: int = 0) -> np.ndarray:
    """A (d_model,) N(0, 1) vector seeded by (seed, a stable hash of the token's UTF-8 bytes): the
    same token gets the same vector in every sentence, run and process (Python's hash() would not)."""
    digest = int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")
    return np.random.default_rng([seed, digest]).standard_normal(d_model)


# -- the settings ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepConfig(Config):
    d_model: int = 8
    heads: int = 1  # d_k = d_model / heads (the curriculum's convention), derived, not chosen
    scale: bool = True  # divide the scores by √d_k
    causal: bool = False  # query i sees keys j ≤ i only
    temperature: float = 1.0  # the scores are divided by T before the softmax
    positional: bool = True  # add the sinusoidal table to the embeddings
    seed: int = 0

    HOT = frozenset({"scale", "causal", "temperature"})  # change the softmax only, not X or the weights

    @property
    def d_k(self) -> int:
        return self.d_model // self.heads

    def check(self) -> None:
        check_range("d_model", self.d_model, 2, 256)
        check_range("heads", self.heads, 1, 8)
        if self.d_model % self.heads:
            raise ConfigError(f"d_model ({self.d_model}) must be divisible by the number of heads ({self.heads}): "
                              "each head gets an equal share of width d_k = d_model / heads.")
        if not 0 < self.temperature <= 100:
            raise ConfigError(f"the temperature must be greater than 0 and at most 100, not {self.temperature:g}.")
        check_range("seed", self.seed, 0, 10**6)


# -- the computation ------------------------------------------------------------------------------
def softmax(x, temperature: float = 1.0, axis: int = -1) -> np.ndarray:
    """exp(x/T) normalised along axis, computed as exp(x/T − max) (log-sum-exp: no overflow). A row
    whose entries are all −inf (a query with nothing to look at) gets all-zero weights, not NaN."""
    if not temperature > 0:
        raise ValueError(f"the softmax temperature must be positive, not {temperature}.")
    x = np.asarray(x, dtype=float) / temperature
    top = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - np.where(np.isfinite(top), top, 0.0))
    total = e.sum(axis=axis, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


@dataclass(frozen=True)
class Steps:
    """Every stage of one multi-head self-attention, read-only. Shapes: n tokens, h heads."""

    tokens: tuple[str, ...]
    config: StepConfig
    embeddings: np.ndarray  # (n, d_model) one seeded vector per token
    positions: np.ndarray  # (n, d_model) the sinusoidal table, zeros when positional is off
    X: np.ndarray  # (n, d_model) embeddings + positions
    W_Q: np.ndarray  # (h, d_model, d_k)
    W_K: np.ndarray  # (h, d_model, d_k)
    W_V: np.ndarray  # (h, d_model, d_k)
    Q: np.ndarray  # (h, n, d_k)
    K: np.ndarray  # (h, n, d_k)
    V: np.ndarray  # (h, n, d_k)
    scores: np.ndarray  # (h, n, n) Q Kᵀ
    scaled: np.ndarray  # (h, n, n) ÷ √d_k when scale is on, else the scores
    tempered: np.ndarray  # (h, n, n) scaled ÷ temperature
    mask: np.ndarray  # (n, n) bool, True = blocked (core.causal_mask's convention)
    masked: np.ndarray  # (h, n, n) tempered with −inf where blocked
    weights: np.ndarray  # (h, n, n) softmax of each row of masked; rows sum to 1 (0 if all blocked)
    head_outputs: np.ndarray  # (h, n, d_k) weights · V
    concat: np.ndarray  # (n, d_model) the heads side by side: columns h·d_k … (h + 1)·d_k − 1 are head h
    W_O: np.ndarray  # (d_model, d_model)
    output: np.ndarray  # (n, d_model) concat · W_O

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    @property
    def n(self) -> int:
        return len(self.tokens)


def attention_steps(tokens: Sequence[str], config: StepConfig, embeddings: np.ndarray | None = None,
                    mask: np.ndarray | None = None) -> Steps:
    """All stages for these tokens. embeddings (n, d_model) replaces the seeded vectors (e.g. a
    trained model's); mask (n, n) bool, True = blocked, is combined with the causal mask."""
    n, d, h, d_k = len(tokens), config.d_model, config.heads, config.d_k
    if n == 0:
        raise ValueError("there are no tokens: type some text first.")
    if embeddings is None:
        embeddings = np.stack([token_embedding(t, d, config.seed) for t in tokens])
    embeddings = np.array(embeddings, dtype=float)
    if embeddings.shape != (n, d):
        raise ValueError(f"the embeddings must have shape ({n}, {d}) for {n} tokens and d_model {d}, not {embeddings.shape}.")
    # The sinusoidal table needs an even width: for odd d_model the table of width d_model + 1 is cut.
    positions = sinusoidal(n, d + d % 2)[:, :d] if config.positional else np.zeros((n, d))
    X = embeddings + positions
    rng = np.random.default_rng(config.seed)  # the weights depend on the seed only, never on the text
    W_Q, W_K, W_V = (rng.standard_normal((h, d, d_k)) / math.sqrt(d) for _ in range(3))
    W_O = rng.standard_normal((d, d)) / math.sqrt(d)
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V  # (h, n, d_k): X broadcasts over the heads
    scores = Q @ K.transpose(0, 2, 1)  # (h, n, n)
    scaled = scores / math.sqrt(d_k) if config.scale else scores.copy()
    tempered = scaled / config.temperature
    blocked = np.zeros((n, n), dtype=bool) if mask is None else np.array(mask, dtype=bool)
    if blocked.shape != (n, n):
        raise ValueError(f"the mask must have shape ({n}, {n}), not {blocked.shape}.")
    if config.causal:
        blocked |= np.triu(np.ones((n, n), dtype=bool), 1)
    masked = np.where(blocked, -np.inf, tempered)
    weights = softmax(masked)
    head_outputs = weights @ V  # (h, n, d_k)
    concat = head_outputs.transpose(1, 0, 2).reshape(n, d)  # (n, h·d_k)
    return Steps(tuple(tokens), config, embeddings, positions, X, W_Q, W_K, W_V, Q, K, V, scores, scaled,
                 tempered, blocked, masked, weights, head_outputs, concat, W_O, concat @ W_O)


class ScoreTerms(NamedTuple):
    q: np.ndarray  # (d_k,) the query row q_i
    k: np.ndarray  # (d_k,) the key row k_j
    products: np.ndarray  # (d_k,) q_i ⊙ k_j, one term per coordinate
    total: float  # Σ products = scores[head, i, j]


def score_terms(steps: Steps, head: int, i: int, j: int) -> ScoreTerms:
    """The dot product behind the score of query i and key j in a head, term by term (for hover text)."""
    q, k = steps.Q[head, i], steps.K[head, j]
    products = q * k
    return ScoreTerms(q, k, products, float(products.sum()))


# -- softmax saturation ---------------------------------------------------------------------------
def _row_stats(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of (rows, n) scores: the max softmax weight, the entropy in nats and the Frobenius
    norm of the softmax Jacobian diag(p) − p pᵀ (how much the weights can still move)."""
    p = softmax(scores)
    entropy = -np.sum(p * np.log(np.where(p > 0, p, 1.0)), axis=1)
    jacobian = np.linalg.norm(np.eye(p.shape[1]) * p[:, :, None] - p[:, :, None] * p[:, None, :], axis=(1, 2))
    return p.max(axis=1), entropy, jacobian


def saturation(d_values: Sequence[int] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512), samples: int = 2000,
               seed: int = 0, n: int = 16) -> dict[str, np.ndarray | int | float]:
    """For each d: `samples` queries q ~ N(0, I_d), each scored against n keys k ~ N(0, I_d).

    Returns arrays indexed like d (suffix _unscaled: raw q·k, _scaled: q·k/√d): std_* (the spread
    of all scores; √d unscaled, ≈ 1 scaled), max_weight_* and entropy_* (means over queries;
    uniform weights have max 1/n and entropy log n, saturated ones 1 and 0), gradient_* (mean
    ‖diag(p) − ppᵀ‖_F, → 0 when saturated), scores_* (len(d), samples): each query's first score,
    for histograms; and expected_std (√d), n_keys, max_entropy (log n)."""
    d_values = [int(d) for d in d_values]
    if not d_values or min(d_values) < 1 or max(d_values) > 4096:
        raise ValueError("d_values needs at least one width, each between 1 and 4096.")
    if not 1 <= samples <= 100_000 or not 2 <= n <= 1024:
        raise ValueError(f"samples must be between 1 and 100,000 and n between 2 and 1,024, not {samples} and {n}.")
    rng = np.random.default_rng(seed)
    out: dict[str, list] = {f"{stat}_{kind}": [] for stat in ("std", "max_weight", "entropy", "gradient", "scores")
                            for kind in ("unscaled", "scaled")}
    for d in d_values:
        chunks = []
        for start in range(0, samples, 256):  # bounded memory: (256, n, d) keys at a time
            rows = min(256, samples - start)
            q, k = rng.standard_normal((rows, 1, d)), rng.standard_normal((rows, n, d))
            chunks.append(np.sum(q * k, axis=2))  # (rows, n)
        raw = np.concatenate(chunks)
        for kind, scores in (("unscaled", raw), ("scaled", raw / math.sqrt(d))):
            top, entropy, gradient = _row_stats(scores)
            out[f"std_{kind}"].append(scores.std())
            out[f"max_weight_{kind}"].append(top.mean())
            out[f"entropy_{kind}"].append(entropy.mean())
            out[f"gradient_{kind}"].append(gradient.mean())
            out[f"scores_{kind}"].append(scores[:, 0])
    result: dict[str, np.ndarray | int | float] = {key: np.array(value) for key, value in out.items()}
    result.update(d=np.array(d_values), expected_std=np.sqrt(d_values), n_keys=n, max_entropy=math.log(n))
    return result
