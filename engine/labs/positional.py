"""Labs on positional encodings: self-attention without positions is permutation-equivariant, and sinusoidal
PE(p + k) is a fixed rotation of PE(p) (see engine/labs/base.py for what a lab is).

The first runs the Positional page's order test (`engine.attention.order.order_test`: one seeded attention
layer, float64) on a sentence and on seeded shuffles of it, for every positional scheme. The second checks the
closed-form rotation `positional.rotation_matrix` against the table `positional.sinusoidal`, with a random
table of the same size as the control: no single linear map moves all its rows by k.
"""

from __future__ import annotations

import numpy as np

from engine.attention.core import POSITIONAL
from engine.attention.order import order_test
from engine.attention.positional import rotation_matrix, sinusoidal
from engine.labs.base import Evidence, Knob, Lab, Measured, Series, Verdict, standard_error

# -- 7. permutation equivariance -----------------------------------------------------------------------------
SENTENCE = ("the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog")  # no repeated word: a shuffle is a new sentence


def _shuffles(seeds: int, seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < seeds:
        order = rng.permutation(len(SENTENCE))
        if (order != np.arange(len(SENTENCE))).any():
            out.append([SENTENCE[i] for i in order])
    return out


def _permutation_run(p):
    d_model, shuffles = int(p["d_model"]), _shuffles(p["seeds"], p["seed"])
    errors = {scheme: [] for scheme in POSITIONAL}
    for s, shuffled in enumerate(shuffles):
        yield s / len(shuffles), f"shuffle {s + 1} of {len(shuffles)}: {' '.join(shuffled)}"
        for scheme in POSITIONAL:
            test = order_test(list(SENTENCE), shuffled, d_model=d_model, seed=p["seed"] + s, positional=scheme)
            errors[scheme].append(test["equivariance_error"])
    figures = {"error_none": float(max(errors["none"]))}
    figures.update({f"error_{scheme}": float(min(errors[scheme])) for scheme in POSITIONAL if scheme != "none"})
    rows = tuple({"positional": scheme, "mean max |out(πX) − π·out(X)|": float(np.mean(e)), "± SE": standard_error(e),
                  "smallest": float(min(e)), "largest": float(max(e))} for scheme, e in errors.items())
    means, ses = tuple(float(np.mean(e)) for e in errors.values()), tuple(standard_error(e) for e in errors.values())
    evidence = Evidence("bar", "positional information", "max |out(πX) − π·out(X)| (mean over shuffles)",
                        (Series("equivariance error", POSITIONAL, means, ses),),
        note="0 means that shuffling the words only shuffled the outputs: the layer cannot tell the orders apart.")
    return Measured(figures, rows, evidence)


def _permutation_judge(figures, params) -> Verdict:
    none = figures["error_none"]
    others = {k.removeprefix("error_"): v for k, v in figures.items() if k != "error_none"}
    weakest = min(others, key=others.get)
    text = f"largest error without positions {none:.3g}; smallest with one: {others[weakest]:.3g} ({weakest})"
    if none > 1e-9:
        return Verdict("not supported", f"{text}: without positions the outputs are not just permuted (> 1e-9).")
    if others[weakest] >= 1e-3:
        return Verdict("supported", f"{text}: ≤ 1e-9 without positions, ≥ 1e-3 with every scheme.")
    return Verdict("mixed", f"{text}: equivariant without positions, but {weakest} did not break it for every shuffle (< 1e-3).")


PERMUTATION = Lab(
    key="permutation", topic="positional", title="Without positions, order is invisible",
    claim="Without positional information self-attention is permutation-equivariant: permuting the tokens permutes the outputs exactly. "
          "With positional information it is not.",
    setup=f"The sentence “{' '.join(SENTENCE)}” and seeded shuffles of it, through one untrained bidirectional attention layer "
          "(2 heads, float64; each word's embedding depends only on the word). For each positional scheme (none, sinusoidal, "
          "learned table, RoPE, ALiBi) the largest |out(πX) − π·out(X)|, a new layer per shuffle.",
    rule="Supported if the error without positions is at most 1e-9 for every shuffle and every scheme's error is at least 1e-3 "
         "for every shuffle; not supported if the error without positions exceeds 1e-9; mixed otherwise.",
    knobs=(Knob("d_model", "d_model", "16", choices=("8", "16", "32", "64")), Knob("seeds", "shuffles", 10, 1, 100),
           Knob("seed", "seed", 0, 0, 10**6)),
    run=_permutation_run, judge=_permutation_judge, small={"seeds": 2},
)

# -- 8. PE(p + k) is a rotation of PE(p) -----------------------------------------------------------------------


def _shift_errors(pe: np.ndarray, table: np.ndarray, basis: np.ndarray, k: int, length: int, d_model: int,
                  base: float) -> tuple[float, float, float]:
    """(max |PE(p+k) − M_k·PE(p)|, max |M_kᵀM_k − I|, max residual of the best linear map for the random table).
    basis: orthonormal columns spanning table[:length]'s columns, so the least-squares fit of R(p + k) from R(p) is basis basisᵀ R."""
    m = rotation_matrix(k, d_model, base)
    error = float(np.abs(pe[k:k + length] - pe[:length] @ m.T).max())  # rows: PE(p)ᵀ M_kᵀ = (M_k PE(p))ᵀ
    orthogonal = float(np.abs(m.T @ m - np.eye(d_model)).max())
    target = table[k:k + length]
    return error, orthogonal, float(np.abs(target - basis @ (basis.T @ target)).max())


def _rotation_run(p):
    d_model, length, k_max, base = int(p["d_model"]), p["length"], p["k_max"], p["base"]
    yield 0.0, "building the tables"
    pe = sinusoidal(length + k_max, d_model, base)
    table = np.random.default_rng(p["seed"]).uniform(-1, 1, pe.shape)  # a "learned" table at initialisation: same size and range
    basis, _ = np.linalg.qr(table[:length])  # (length, d_model)
    results = []
    for k in range(1, k_max + 1):
        if k % 8 == 1:
            yield k / k_max, f"shift k = {k}"
        results.append(_shift_errors(pe, table, basis, k, length, d_model, base))
    error, orthogonal, control = (np.array(column) for column in zip(*results, strict=True))
    figures = {"error": float(error.max()), "orthogonality": float(orthogonal.max()), "control": float(control.min())}
    ks = tuple(range(1, k_max + 1))
    rows = tuple({"k": k, "max |PE(p+k) − M_k·PE(p)|": e, "max |M_kᵀM_k − I|": o, "random table: best linear map's max residual": c}
                 for k, e, o, c in zip(ks, error, orthogonal, control, strict=True))
    evidence = Evidence("line", "shift k", "max |row(p + k) − map · row(p)| over p", (
        Series("sinusoidal, M_k in closed form", ks, tuple(float(v) for v in error)),
        Series("random table, best linear map (least squares)", ks, tuple(float(v) for v in control))), log_y=True,
        note="Entries lie in [−1, 1]; the sinusoidal error is rounding (~1e-13), the random table's residual is of order 1.")
    return Measured(figures, rows, evidence)


def _rotation_judge(figures, params) -> Verdict:
    e, o = figures["error"], figures["orthogonality"]
    text = f"max |PE(p+k) − M_k·PE(p)| = {e:.2g}, max |M_kᵀM_k − I| = {o:.2g} over k = 1…{params['k_max']}"
    if e <= 1e-9 and o <= 1e-9:
        return Verdict("supported", f"{text}: both ≤ 1e-9.")
    if e > 1e-6:
        return Verdict("not supported", f"{text}: the map misses by more than 1e-6.")
    return Verdict("mixed", f"{text}: close (≤ 1e-6) but not within 1e-9.")


ROTATION = Lab(
    key="pe_rotation", topic="positional", title="Sinusoidal PE shifts by a rotation",
    claim="For sinusoidal encodings PE(p + k) = M_k · PE(p) for all p, with M_k a fixed rotation that depends only on k.",
    setup="The sinusoidal table PE[p, 2i] = sin(p·ω_i), PE[p, 2i+1] = cos(p·ω_i), ω_i = base^(−2i/d_model). For each shift k, "
          "M_k is one 2 × 2 rotation by k·ω_i per (sin, cos) pair, the same for every position p; the largest error over "
          "p = 0 … length − 1 and whether M_k is orthogonal. Control: a random table of the same size, for which even the best "
          "least-squares linear map from row p to row p + k leaves a large residual (when there are more positions than d_model).",
    rule="Supported if max |PE(p+k) − M_k·PE(p)| and max |M_kᵀM_k − I| are both at most 1e-9 for every k; not supported if the "
         "first exceeds 1e-6; mixed otherwise.",
    knobs=(Knob("d_model", "d_model", "32", choices=("8", "16", "32", "64", "128")), Knob("length", "positions p", 128, 16, 1024, log=True),
           Knob("k_max", "largest shift k", 32, 1, 128), Knob("base", "base", 10000.0, 10.0, 100000.0, log=True),
           Knob("seed", "control seed", 0, 0, 10**6)),
    run=_rotation_run, judge=_rotation_judge, small={"k_max": 4, "length": 64, "d_model": "16"},
)

LABS: tuple[Lab, ...] = (PERMUTATION, ROTATION)
