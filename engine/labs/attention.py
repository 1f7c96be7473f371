"""Labs on attention: softmax saturation without √d_k, the causal mask's independence from later tokens, and the
non-linearity of self-attention (see engine/labs/base.py for what a lab is).

They run the Attention page's engine: `steps.saturation` (random queries and keys, scaled and unscaled scores),
the TinyTransformer of `model.py` (causal or not, the same seeded weights) and `core.MultiHeadAttention`.
Untrained weights suffice: each claim is about the architecture, not about what it learned. Models run in float64,
so "unchanged" means equal to the last bit, not "close".
"""

from __future__ import annotations

import numpy as np
import torch

from engine.attention.core import MultiHeadAttention
from engine.attention.model import build
from engine.attention.steps import saturation
from engine.attention.trainer import TransformerConfig
from engine.labs.base import Evidence, Knob, Lab, Measured, Series, Verdict, standard_error

# -- 4. softmax saturation without √d_k ----------------------------------------------------------------------


def _widths(d_max: int) -> list[int]:
    """1, 2, 4, … up to d_max (d_max itself included)."""
    widths = [2**i for i in range(int(np.log2(d_max)) + 1)]
    return widths if widths[-1] == d_max else [*widths, d_max]


WORK = 256_000  # queries × d_k per piece of work: about 0.1 s on one core


def _saturation_run(p):
    widths, kinds = _widths(p["d_max"]), ("unscaled", "scaled")
    top, grad = {kind: [] for kind in kinds}, {kind: [] for kind in kinds}
    for i, d in enumerate(widths):
        sums = {f"{stat}_{kind}": 0.0 for stat in ("max_weight", "gradient") for kind in kinds}
        chunk = max(16, WORK // d)
        for start in range(0, p["samples"], chunk):
            yield (i + start / p["samples"]) / len(widths), f"d_k = {d}: {p['samples']} queries against {p['keys']} keys"
            rows = min(chunk, p["samples"] - start)
            stats = saturation((d,), samples=rows, seed=p["seed"] + 7919 * i + start, n=p["keys"])
            for key in sums:
                sums[key] += float(stats[key][0]) * rows  # means over queries: chunk means weighted by their sizes
        for kind in kinds:
            top[kind].append(sums[f"max_weight_{kind}"] / p["samples"])
            grad[kind].append(sums[f"gradient_{kind}"] / p["samples"])
    figures = {"top_unscaled_first": top["unscaled"][0], "top_unscaled": top["unscaled"][-1], "top_scaled": top["scaled"][-1],
               "gradient_unscaled": grad["unscaled"][-1], "gradient_scaled": grad["scaled"][-1]}
    rows = tuple({"d_k": d, "max weight, q·k": tu, "max weight, q·k/√d_k": ts, "‖softmax Jacobian‖, q·k": gu,
                  "‖softmax Jacobian‖, q·k/√d_k": gs}
                 for d, tu, ts, gu, gs in zip(widths, top["unscaled"], top["scaled"], grad["unscaled"], grad["scaled"], strict=True))
    evidence = Evidence("line", "d_k", "mean largest softmax weight", (
        Series("unscaled q·k", tuple(widths), tuple(top["unscaled"])), Series("scaled q·k/√d_k", tuple(widths), tuple(top["scaled"]))),
        log_x=True, note=f"Uniform weights give 1/{p['keys']} = {1 / p['keys']:.3f}; a saturated softmax gives 1 (one key takes all).")
    return Measured(figures, rows, evidence)


def _saturation_judge(figures, params) -> Verdict:
    first, top, scaled = figures["top_unscaled_first"], figures["top_unscaled"], figures["top_scaled"]
    d = params["d_max"]
    text = f"mean max weight at d_k = {d}: unscaled {top:.3f} (at d_k = 1: {first:.3f}), scaled {scaled:.3f}"
    if top >= 0.9 and scaled < 0.9:
        return Verdict("supported", f"{text}: unscaled ≥ 0.9 and scaled < 0.9.")
    if top <= first:
        return Verdict("not supported", f"{text}: the unscaled max weight does not grow with d_k.")
    return Verdict("mixed", f"{text}: it grows with d_k but the rule needs unscaled ≥ 0.9 and scaled < 0.9.")


SATURATION = Lab(
    key="sqrt_dk", topic="attention", title="Why divide by √d_k",
    claim="Without √d_k scaling the softmax saturates as d_k grows: the largest weight → 1 and its gradient → 0.",
    setup="For d_k = 1, 2, 4, … up to the largest width: random queries q ~ N(0, I) each scored against random keys k ~ N(0, I), "
          "softmax of q·k (unscaled) and of q·k/√d_k (scaled); the mean over queries of the largest weight and of the softmax "
          "Jacobian's norm. A new seed for every batch of queries.",
    rule="Supported if, at the largest d_k, the unscaled mean max weight is ≥ 0.9 while the scaled one is < 0.9; not supported if "
         "the unscaled max weight at the largest d_k is no larger than at d_k = 1; mixed otherwise.",
    knobs=(Knob("d_max", "largest d_k", 512, 2, 4096, log=True), Knob("keys", "keys per query", 16, 2, 256),
           Knob("samples", "queries per width", 2000, 100, 20000, log=True), Knob("seed", "seed", 0, 0, 10**6)),
    run=_saturation_run, judge=_saturation_judge, small={"d_max": 64, "samples": 300},
)

# -- 5. the causal mask --------------------------------------------------------------------------------------
VOCAB = 10


def _changes(model, tokens: torch.Tensor, cut: int, generator: torch.Generator) -> np.ndarray:
    """Per position, max |Δ logits| over the batch when every token after `cut` is replaced by a different one."""
    later = tokens.clone()
    later[:, cut + 1:] = (later[:, cut + 1:] + torch.randint(1, VOCAB, later[:, cut + 1:].shape, generator=generator)) % VOCAB
    with torch.no_grad():
        a, _ = model(tokens)
        b, _ = model(later)  # (B, n, vocab)
    return (a - b).abs().amax(dim=(0, 2)).numpy()  # (n,)


def _causal_run(p):
    n, cut = p["length"], min(p["cut"], p["length"] - 2)
    kwargs = dict(seed=p["seed"], dtype=torch.float64, vocab=VOCAB, d_model=int(p["d_model"]), heads=2, layers=p["layers"],
                  positional="learned", max_len=n)
    models = {"with the causal mask": build(causal=True, **kwargs), "without the mask": build(causal=False, **kwargs)}
    generator = torch.Generator().manual_seed(p["seed"])
    changes = {name: np.zeros(n) for name in models}
    for trial in range(p["trials"]):
        yield trial / p["trials"], f"sequence {trial + 1} of {p['trials']}"
        tokens = torch.randint(VOCAB, (1, n), generator=generator)
        state = generator.get_state()
        for name, model in models.items():
            generator.set_state(state)  # the same replacement tokens for both models
            changes[name] = np.maximum(changes[name], _changes(model, tokens, cut, generator))
    masked, unmasked = changes["with the causal mask"], changes["without the mask"]
    figures = {"masked_before": float(masked[:cut + 1].max()), "unmasked_before": float(unmasked[:cut + 1].max()),
               "masked_after": float(masked[cut + 1:].max()), "cut": float(cut)}
    rows = tuple({"position": i, "token changed at or before it": i > cut, "max |Δ output|, causal": float(masked[i]),
                  "max |Δ output|, no mask": float(unmasked[i])} for i in range(n))
    series = tuple(Series(name, tuple(range(n)), tuple(float(v) for v in c)) for name, c in changes.items())
    evidence = Evidence("line", "position", "max |Δ output logits|", series,
                        note=f"Tokens after position t = {cut} were replaced; with the mask the outputs at 0…{cut} do not move.")
    return Measured(figures, rows, evidence)


def _causal_judge(figures, params) -> Verdict:
    m, u, t = figures["masked_before"], figures["unmasked_before"], int(figures["cut"])
    text = f"max change of the outputs at positions ≤ {t}: causal {m:.3g}, unmasked {u:.3g}"
    if m > 1e-10:
        return Verdict("not supported", f"{text}: the causal outputs changed (> 1e-10).")
    if u >= 1e-3:
        return Verdict("supported", f"{text}: causal ≤ 1e-10 while the unmasked control moves ≥ 1e-3.")
    return Verdict("mixed", f"{text}: causal ≤ 1e-10, but the unmasked control barely moves (< 1e-3), so the test is weak.")


CAUSAL = Lab(
    key="causal_mask", topic="attention", title="The causal mask hides the future",
    claim="The causal mask makes the outputs at positions ≤ t independent of the tokens after t.",
    setup="An untrained TinyTransformer (2 heads, learned positions, float64), built twice from the same seed: with the causal "
          "mask and without it. Random token sequences; every token after position t is replaced by a different one, and the "
          "largest change of the output logits at each position is recorded over all sequences (t is capped at length − 2).",
    rule="Supported if, with the mask, the outputs at positions ≤ t change by at most 1e-10 while without it they change by at "
         "least 1e-3; not supported if the masked outputs change by more than 1e-10; mixed otherwise.",
    knobs=(Knob("length", "sequence length", 16, 4, 64), Knob("cut", "position t", 7, 0, 62), Knob("layers", "layers", 2, 1, 4),
           Knob("d_model", "d_model", "32", choices=("16", "32", "64", "128")), Knob("trials", "sequences", 20, 1, 200),
           Knob("seed", "seed", 0, 0, 10**6)),
    run=_causal_run, judge=_causal_judge, small={"trials": 3, "length": 8, "cut": 3},
    link=lambda p: ("attention", TransformerConfig(architecture="decoder", layers=p["layers"], heads=2,
                                                   d_model=int(p["d_model"]), seed=p["seed"])),
)

# -- 6. attention is not linear ------------------------------------------------------------------------------
SCALES = (0.25, 0.5, 2.0, 4.0)


def _deviations(layer: MultiHeadAttention, x: torch.Tensor) -> tuple[list[float], list[float]]:
    """‖attn(cX) − c·attn(X)‖ / ‖c·attn(X)‖ per scale c, and the same with the weights held at those of X."""
    with torch.no_grad():
        base, weights = layer(x)  # (1, n, d), (1, h, n, n)
        full, frozen = [], []
        for c in SCALES:
            out, _ = layer(c * x)
            v = layer.split(layer.W_V(c * x))  # (1, h, n, d_head)
            held = layer.W_O((weights @ v).transpose(1, 2).reshape(x.shape))  # softmax weights of X, values of cX
            full.append(float((out - c * base).norm() / (c * base).norm()))
            frozen.append(float((held - c * base).norm() / (c * base).norm()))
    return full, frozen


def _mean_se(values: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per column of (seeds, scales): the mean and its standard error."""
    return tuple(float(v) for v in values.mean(axis=0)), tuple(standard_error(values[:, j].tolist()) for j in range(values.shape[1]))


def _linear_run(p):
    full, frozen = [], []
    for s in range(p["seeds"]):
        yield s / p["seeds"], f"seed {s + 1} of {p['seeds']}"
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(p["seed"] + s)
            layer = MultiHeadAttention(16, 2, bias=False).double()  # no biases: Q, K, V, O are linear maps
            x = torch.randn(1, p["tokens"], 16, dtype=torch.float64)
        with torch.no_grad():
            layer.W_Q.weight.mul_(p["weight_scale"])
            layer.W_K.weight.mul_(p["weight_scale"])
        a, b = _deviations(layer, x)
        full.append(a)
        frozen.append(b)
    full_a, frozen_a = np.array(full), np.array(frozen)  # (seeds, scales)
    at2 = SCALES.index(2.0)
    figures = {"deviation": float(full_a[:, at2].mean()), "deviation_se": standard_error(full_a[:, at2].tolist()),
               "deviation_frozen": float(frozen_a.max())}
    (full_m, full_e), (frozen_m, _) = _mean_se(full_a), _mean_se(frozen_a)
    rows = tuple({"c": c, "‖attn(cX) − c·attn(X)‖ / ‖c·attn(X)‖": m, "± SE": e, "with the softmax weights of X held": f}
                 for c, m, e, f in zip(SCALES, full_m, full_e, frozen_m, strict=True))
    evidence = Evidence("line", "scale c", "relative deviation from c·attn(X)", (
        Series("self-attention", SCALES, full_m, full_e), Series("softmax weights held fixed", SCALES, frozen_m)),
        log_x=True, note="Scaling X scales the scores by c², which sharpens or flattens the softmax; with the weights held fixed "
                         "the map is linear (deviation at rounding level).")
    return Measured(figures, rows, evidence)


def _linear_judge(figures, params) -> Verdict:
    d, se = figures["deviation"], figures["deviation_se"]
    text = f"‖attn(2X) − 2·attn(X)‖ / ‖2·attn(X)‖ = {d:.3g} ± {se:.2g} (SE)"
    if d >= 0.01 and d > 2 * se:
        return Verdict("supported", f"{text}: at least 1% and more than 2 SE above 0.")
    if d <= 1e-9:
        return Verdict("not supported", f"{text}: at rounding level (≤ 1e-9), attention acted linearly.")
    return Verdict("mixed", f"{text}: non-zero but below 1% (or within 2 SE): nearly linear at these weights.")


NONLINEAR = Lab(
    key="attention_nonlinear", topic="attention", title="Self-attention is not linear",
    claim="Self-attention is not a linear map of its input: attn(2X) ≠ 2·attn(X).",
    setup="One untrained multi-head self-attention layer (d_model 16, 2 heads, no biases, so W_Q, W_K, W_V and W_O are linear), "
          "float64, random tokens X ~ N(0, 1); W_Q and W_K multiplied by the weight scale. The relative deviation "
          "‖attn(cX) − c·attn(X)‖ / ‖c·attn(X)‖ for c = 0.25, 0.5, 2, 4, over seeds (new weights and tokens each).",
    rule="Supported if the mean deviation at c = 2 is at least 0.01 and more than 2 standard errors above 0; not supported if it "
         "is at most 1e-9 (linear up to rounding); mixed otherwise.",
    knobs=(Knob("weight_scale", "scale of W_Q and W_K", 1.0, 0.001, 10.0, log=True, help="small: near-uniform weights, nearly linear"),
           Knob("tokens", "tokens", 8, 2, 64), Knob("seeds", "seeds", 10, 2, 100), Knob("seed", "base seed", 0, 0, 10**6)),
    run=_linear_run, judge=_linear_judge, small={"seeds": 3},
)

LABS: tuple[Lab, ...] = (SATURATION, CAUSAL, NONLINEAR)
