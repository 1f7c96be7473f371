"""Labs on optimisation: momentum and Adam against plain gradient descent on an ill-conditioned bowl, AdaGrad's
decaying step on a long valley, and random against grid search (see engine/labs/base.py for what a lab is).

The first two reuse the Optimizers page's engine: the learning-rate sweep (engine/optim/sweep.py) runs every
optimizer over the same log grid of rates, so each is compared at its own best rate, never at a rate picked by
hand; the race (engine/optim/race.py) then replays the best rates for the loss curves. The third is a synthetic
objective in which only one of two hyper-parameters matters, searched with the same budget by both methods.
"""

from __future__ import annotations

import numpy as np

from engine.labs.base import Evidence, Knob, Lab, Measured, Series, Verdict, standard_error
from engine.optim.race import TOLERANCE, RaceConfig, run_race
from engine.optim.surfaces import SURFACES
from engine.optim.sweep import Sweep, log_grid, sweep

RATES = log_grid(1e-4, 10.0, 6)  # 31 rates, 6 per decade: the Optimizers page's sweep grid
LABELS = {"sgd": "gradient descent", "momentum": "momentum β=0.9", "adam": "Adam", "adagrad": "AdaGrad", "rmsprop": "RMSprop ρ=0.99"}


def _race(surface: str, condition: float, steps: int, racers: list[dict]) -> RaceConfig:
    return RaceConfig(condition=condition, steps=steps).on_surface(surface).with_racers(racers)


def _sweeps(config: RaceConfig, steps: int):
    """One sweep per racer (each a short piece of work); yields progress, returns {optimizer: Sweep}."""
    out: dict[str, Sweep] = {}
    for i, name in enumerate(config.optimizers):
        yield i / config.n_racers, f"sweeping {LABELS[name]} over {len(RATES)} learning rates"
        out[name] = sweep(config.with_racers([config.racer(i)]), RATES, steps)
    return out


# -- 1. momentum and Adam on an ill-conditioned bowl ---------------------------------------------------------
BOWL = ("sgd", "momentum", "adam")


def _bowl_run(p):
    steps = p["steps"]
    config = _race("quadratic", p["condition"], steps, [{"optimizer": name} for name in BOWL])
    sweeps = yield from _sweeps(config, steps)
    figures, rows = {}, []
    for name in BOWL:
        rate, reached = sweeps[name].best(0)
        figures[f"steps_{name}"] = float(reached if reached >= 0 else steps + 1)  # never: counted as budget + 1
        rows.append({"optimizer": LABELS[name], "best η": rate, "reached f − f* < 1e-6": reached >= 0,
                     "steps (budget + 1 if never)": int(figures[f"steps_{name}"]), "largest stable η": sweeps[name].largest_stable(0)})
    evidence = Evidence("bar", "optimizer", "steps to f − f* < 1e-6", (Series("steps at the best rate", tuple(LABELS[n] for n in BOWL),
                        tuple(figures[f"steps_{n}"] for n in BOWL)),),
                        note=f"Each bar is the fewest steps any rate of the grid ({RATES[0]:g} to {RATES[-1]:g}) needed; lower is faster.")
    return Measured(figures, tuple(rows), evidence)


def _bowl_judge(figures, params) -> Verdict:
    sgd, mom, adam = (figures[f"steps_{n}"] for n in BOWL)
    text = f"gradient descent {sgd:.0f} steps, momentum {mom:.0f}, Adam {adam:.0f}"
    if mom <= sgd / 2 and adam <= sgd / 2:
        return Verdict("supported", f"{text}: both need at most half of {sgd:.0f} ({sgd / 2:.0f}).")
    if mom >= sgd and adam >= sgd:
        return Verdict("not supported", f"{text}: neither needs fewer steps than gradient descent.")
    return Verdict("mixed", f"{text}: not both at most half of gradient descent's ({sgd / 2:.0f}), but one is faster.")


MOMENTUM_ADAM = Lab(
    key="momentum_adam", topic="optimisation", title="Momentum and Adam on an ill-conditioned bowl",
    claim="Momentum and Adam beat plain gradient descent on an ill-conditioned quadratic bowl.",
    setup="f = ½(x² + κy²) from (−4, 2), f* = 0. Gradient descent, momentum (β = 0.9) and Adam (default betas) each run at every "
          "learning rate of a log grid (1e-4 to 10, 6 per decade); for each, the fewest steps to f − f* < 1e-6 at its best rate. "
          "Deterministic (no noise), so one run each.",
    rule="Supported if momentum and Adam each need at most half the steps of gradient descent (each at its own best rate; a run "
         "that never gets there counts as the step budget + 1); not supported if neither needs fewer steps than gradient descent; "
         "mixed otherwise.",
    knobs=(Knob("condition", "condition number κ", 100.0, 2.0, 1000.0, log=True, help="curvature across the valley ÷ along it"),
           Knob("steps", "step budget", 2000, 100, 5000)),
    run=_bowl_run, judge=_bowl_judge, small={"condition": 20.0, "steps": 400},
    link=lambda p: ("optimizers", _race("quadratic", p["condition"], p["steps"], [
        {"optimizer": "sgd", "learning_rate": max(1e-6, 1.9 / p["condition"])}, {"optimizer": "momentum", "learning_rate": 0.01},
        {"optimizer": "adam", "learning_rate": 1.0}])),
)


# -- 2. AdaGrad's decaying step ------------------------------------------------------------------------------
ADAPTIVE = ("adagrad", "rmsprop")
KAPPA = 100.0  # the condition number, where the surface is the quadratic


def _step_shrink(path: np.ndarray) -> float:
    """Mean step length over the last tenth of a path ÷ over its first tenth."""
    lengths = np.linalg.norm(np.diff(path, axis=0), axis=1)
    tenth = max(1, len(lengths) // 10)
    return float(lengths[-tenth:].mean() / max(lengths[:tenth].mean(), 1e-300))


def _adagrad_run(p):
    surface, steps = SURFACES[p["surface"]], p["steps"]
    config = _race(p["surface"], KAPPA, steps, [{"optimizer": name} for name in ADAPTIVE])
    sweeps = yield from _sweeps(config, steps)
    yield 0.9, "replaying both at their best rates"
    best = {name: sweeps[name].best(0)[0] for name in ADAPTIVE}
    race = run_race(config.replace(learning_rates=tuple(best[n] for n in ADAPTIVE)))
    f_min = surface.minimum_value(KAPPA)
    figures, rows, series = {}, [], []
    for i, name in enumerate(ADAPTIVE):
        path = np.array(race.paths[i])
        gaps = np.maximum(surface.f(path[:, 0], path[:, 1], KAPPA) - f_min, 1e-30)  # floored for the log scale
        figures[f"gap_{name}"] = float(max(np.nanmin(sweeps[name].final[0]) - f_min, 0.0))
        figures[f"shrink_{name}"] = _step_shrink(path)
        rows.append({"optimizer": LABELS[name], "best η": best[name], f"lowest f − f* after {steps} steps": figures[f"gap_{name}"],
                     "step length, last tenth ÷ first tenth": figures[f"shrink_{name}"]})
        series.append(Series(f"{LABELS[name]} η={best[name]:.3g}", tuple(range(len(gaps))), tuple(float(g) for g in gaps)))
    evidence = Evidence("line", "step", "f − f*", tuple(series), log_y=True,
                        note="Each at its best rate: the fastest to 1e-6, else the one that ends lowest; f − f* floored at 1e-30.")
    return Measured(figures, tuple(rows), evidence)


def _adagrad_judge(figures, params) -> Verdict:
    ada, rms = figures["gap_adagrad"], figures["gap_rmsprop"]
    text = f"lowest f − f*: AdaGrad {ada:.3g}, RMSprop {rms:.3g}"
    if ada < TOLERANCE or ada <= rms:
        return Verdict("not supported", f"{text}: AdaGrad reached 1e-6 or ended no worse than RMSprop.")
    if ada >= 10 * rms:
        return Verdict("supported", f"{text}: AdaGrad stalls above 1e-6 and at least 10× above RMSprop.")
    return Verdict("mixed", f"{text}: AdaGrad ends worse, but less than 10× worse.")


ADAGRAD = Lab(
    key="adagrad_decay", topic="optimisation", title="AdaGrad's step size decays too fast",
    claim="AdaGrad's effective step size η/√G decays too fast: on a long valley it stalls where RMSprop keeps going.",
    setup="A 2-D surface from its standard start (Rosenbrock's curved valley by default; the quadratic has κ = 100). AdaGrad "
          "(G ← G + g²) and RMSprop (ρ = 0.99) each run at every learning rate of a log grid (1e-4 to 10, 6 per decade) for the "
          "step budget; each is judged at the rate that ends lowest. Deterministic, one run each.",
    rule="Supported if AdaGrad's lowest final f − f* is above the 1e-6 tolerance and at least 10× RMSprop's; not supported if "
         "AdaGrad reaches 1e-6 or ends no worse than RMSprop; mixed otherwise.",
    knobs=(Knob("surface", "surface", "rosenbrock", choices=("rosenbrock", "beale", "quadratic", "plateau")),
           Knob("steps", "step budget", 2000, 100, 5000)),
    run=_adagrad_run, judge=_adagrad_judge, small={"steps": 300},
    link=lambda p: ("optimizers", _race(p["surface"], KAPPA, p["steps"], [
        {"optimizer": "adagrad", "learning_rate": 0.1}, {"optimizer": "rmsprop", "learning_rate": 0.005}])),
)


# -- 3. random search against grid search --------------------------------------------------------------------
WIDTH = 0.1  # the bump's width in each hyper-parameter, on [0, 1]


def _objective(a, b, a_star, b_star, weight):
    """1 − exp(−(a − a*)²/2w²) + weight·(1 − exp(−(b − b*)²/2w²)): minimum 0 at (a*, b*); `weight` says how much b matters."""
    return (1 - np.exp(-((a - a_star) ** 2) / (2 * WIDTH**2))) + weight * (1 - np.exp(-((b - b_star) ** 2) / (2 * WIDTH**2)))


def _regrets(side: int, seeds: int, weight: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(grid, random) best objective found with side² trials, one entry per seed (each seed: a new optimum and new draws)."""
    rng = np.random.default_rng([seed, side])
    a_star, b_star = rng.uniform(0, 1, (2, seeds, 1))
    ticks = (np.arange(side) + 0.5) / side
    ga, gb = (g.ravel()[None, :] for g in np.meshgrid(ticks, ticks))  # (1, side²)
    ra, rb = rng.uniform(0, 1, (2, seeds, side * side))
    return _objective(ga, gb, a_star, b_star, weight).min(axis=1), _objective(ra, rb, a_star, b_star, weight).min(axis=1)


def _search_run(p):
    sides = range(2, p["side"] + 1)
    grid_y, grid_e, rand_y, rand_e, figures = [], [], [], [], {}
    for k, side in enumerate(sides):
        yield k / len(sides), f"{side * side} trials each, {p['seeds']} seeds"
        grid, rand = _regrets(side, p["seeds"], p["weight"], p["seed"])
        grid_y.append(float(grid.mean()))
        grid_e.append(standard_error(grid.tolist()))
        rand_y.append(float(rand.mean()))
        rand_e.append(standard_error(rand.tolist()))
        diff = (grid - rand).tolist()
        figures = {"regret_grid": grid_y[-1], "regret_random": rand_y[-1], "difference": float(np.mean(diff)),
                   "difference_se": standard_error(diff), "trials": float(side * side)}
    budgets = tuple(s * s for s in sides)
    rows = tuple({"trials": n, "grid: mean best f": g, "grid SE": ge, "random: mean best f": r, "random SE": re}
                 for n, g, ge, r, re in zip(budgets, grid_y, grid_e, rand_y, rand_e, strict=True))
    evidence = Evidence("line", "trials (budget)", "best f found (mean over seeds)", (
        Series("grid search", budgets, tuple(grid_y), tuple(grid_e)), Series("random search", budgets, tuple(rand_y), tuple(rand_e))),
        note="Lower is better; bars are ± one standard error over seeds. A k × k grid tries only k values of the one that matters.")
    return Measured(figures, rows, evidence)


def _search_judge(figures, params) -> Verdict:
    d, se, n = figures["difference"], figures["difference_se"], figures["trials"]
    text = (f"with {n:.0f} trials, mean best f: grid {figures['regret_grid']:.4f}, random {figures['regret_random']:.4f}; "
            f"grid − random = {d:.4f} ± {se:.4f} (SE)")
    if d > 2 * se:
        return Verdict("supported", f"{text} > 2 SE: random search finds better values.")
    if d < -2 * se:
        return Verdict("not supported", f"{text} < −2 SE: grid search finds better values.")
    return Verdict("mixed", f"{text}: within 2 SE of 0, no clear winner.")


RANDOM_SEARCH = Lab(
    key="random_search", topic="optimisation", title="Random search against grid search",
    claim="Random search beats grid search when one hyper-parameter matters far more than the other.",
    setup="Two hyper-parameters a, b in [0, 1]; f = (1 − e^(−(a−a*)²/2·0.1²)) + w·(1 − e^(−(b−b*)²/2·0.1²)), with the optimum "
          "(a*, b*) drawn anew for every seed. Grid search tries a k × k grid of cell centres; random search tries k² uniform "
          "points: the same budget. The score is the best f found (0 is perfect), averaged over seeds, for k = 2 … the grid side.",
    rule="At the largest budget: supported if grid's mean best f exceeds random's by more than 2 standard errors of the paired "
         "difference; not supported if it is lower by more than 2 SE; mixed otherwise.",
    knobs=(Knob("side", "grid side k (budget k²)", 3, 2, 8), Knob("weight", "weight w of the second hyper-parameter", 0.05, 0.0, 1.0),
           Knob("seeds", "seeds", 200, 10, 2000), Knob("seed", "base seed", 0, 0, 10**6)),
    run=_search_run, judge=_search_judge, small={"seeds": 50},
)

LABS: tuple[Lab, ...] = (MOMENTUM_ADAM, ADAGRAD, RANDOM_SEARCH)
