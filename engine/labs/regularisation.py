"""Labs on regularisation: L1 makes weights exactly small (sparse) while L2 only shrinks them; L2 and dropout
narrow the gap between training and test accuracy on small noisy data; stopping at the minimum of a held-out
loss lands near the minimum of the test loss.

All train Playground networks (engine/playground): the penalties are the MLP's (L2 (λ/2m)·Σ‖W‖², L1 (λ/m)·Σ|W|,
biases not penalised) and dropout is inverted dropout, off at evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping

import numpy as np

from engine.data2d import make_dataset
from engine.features import feature_matrix
from engine.labs.base import Evidence, Knob, Lab, Measured, Params, Progress, Verdict
from engine.labs.playground_runs import Meter, curve, layers, mean_se, seeded
from engine.losses import loss_and_grad
from engine.playground.config import PlaygroundConfig
from engine.playground.trainer import PlaygroundTrainer

MARGIN = 2.0  # standard errors


# -- L1 vs L2: sparse or small -------------------------------------------------------------------------------
PENALTIES = {"none": "no penalty", "l1": "L1", "l2": "L2"}
NEAR_ZERO = 1e-3
BINS = (0.0, 1e-3, 1e-2, 1e-1, 1.0, np.inf)
BIN_LABELS = ("< 0.001", "0.001–0.01", "0.01–0.1", "0.1–1", "≥ 1")
SPARSER, FEW = 0.20, 0.10


def _penalty_config(params: Params, penalty: str) -> PlaygroundConfig:
    rate = {"none": 0.0, "l1": params["l1_rate"], "l2": params["l2_rate"]}[penalty]
    return PlaygroundConfig(dataset="circle", n_points=200, noise=0.2, features=("x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"),
                            **layers(1, 8, "tanh"), loss="bce", learning_rate=0.1, regularization=penalty, regularization_rate=rate)


def _sparsity_run(params: Params) -> Generator[Progress, None, Measured]:
    seeds, epochs = params["seeds"], params["epochs"]
    meter = Meter(len(PENALTIES) * seeds * epochs)
    shares: dict[str, list[np.ndarray]] = {p: [] for p in PENALTIES}  # per seed: share of weights in each bin
    medians: dict[str, list[float]] = {p: [] for p in PENALTIES}
    accuracy: dict[str, list[float]] = {p: [] for p in PENALTIES}
    for seed in range(seeds):
        for penalty, label in PENALTIES.items():
            trainer, history = yield from meter.train(seeded(_penalty_config(params, penalty), seed), epochs, f"{label}, seed {seed + 1}")
            size = np.abs(np.concatenate([W.ravel() for W in trainer.net.W]))
            shares[penalty].append(np.histogram(size, BINS)[0] / size.size)
            medians[penalty].append(float(np.median(size)))
            accuracy[penalty].append(history[-1]["test_accuracy"])
    figures = {}
    for p in PENALTIES:
        figures[f"near_zero_{p}"] = mean_se([s[0] for s in shares[p]])[0]
        figures[f"median_{p}"] = mean_se(medians[p])[0]
    table = tuple({"penalty": label, "weights below 0.001": figures[f"near_zero_{p}"], "median |w|": figures[f"median_{p}"],
                   "test accuracy": mean_se(accuracy[p])[0]} for p, label in PENALTIES.items())
    evidence = Evidence("bar", "|w|", "share of the weights", tuple(curve(label, BIN_LABELS, shares[p]) for p, label in PENALTIES.items()),
                        note="Each group of bars is one range of |w|; the first holds the near-zero weights. Mean over seeds, ± one s.e.")
    return Measured(figures, table, evidence)


def _sparsity_judge(figures: Mapping[str, float], params: Params) -> Verdict:
    l1, l2, median_l2, median_none = (figures[k] for k in ("near_zero_l1", "near_zero_l2", "median_l2", "median_none"))
    sparse = l1 >= l2 + SPARSER
    shrunk = l2 < FEW and median_l2 < median_none
    outcome = "supported" if sparse and shrunk else "mixed" if sparse or shrunk else "not supported"
    return Verdict(outcome, f"weights below {NEAR_ZERO:g}: L1 {l1:.0%}, L2 {l2:.0%} (L1 {'is' if sparse else 'is not'} "
                            f"{SPARSER:.0%} or more above L2). L2's median |w| is {median_l2:.3g} against {median_none:.3g} without "
                            f"a penalty ({'smaller' if median_l2 < median_none else 'not smaller'}), with {l2:.0%} of its weights "
                            f"near zero ({'under' if l2 < FEW else 'not under'} {FEW:.0%}).")


SPARSITY = Lab(
    key="l1_vs_l2",
    topic="regularisation",
    title="L1 zeroes weights, L2 shrinks them",
    claim="An L1 penalty drives many weights to (nearly) zero; an L2 penalty makes weights small but not zero.",
    setup="Circle data with a little noise (200 points, half for testing) and all seven input features, most of them not "
          "needed; one hidden layer of 8 tanh units, binary cross-entropy, plain SGD at learning rate 0.1, batch 10. The same "
          "network without a penalty, with L1 and with L2, on every seed. Near zero: |w| below 0.001 (plain SGD makes L1 "
          "weights hover around zero by about learning rate × λ / m rather than sit on it).",
    rule=f"Supported if L1's share of weights below {NEAR_ZERO:g} is at least {SPARSER:.0%} higher than L2's, and L2 leaves fewer "
         f"than {FEW:.0%} of them there while its median |w| is below the unpenalised network's; mixed if only one part holds; "
         "not supported if neither.",
    knobs=(Knob("l1_rate", "L1 rate λ", 0.3, 0.001, 10.0, log=True), Knob("l2_rate", "L2 rate λ", 1.0, 0.001, 10.0, log=True),
           Knob("epochs", "epochs", 300, 10, 2000, log=True), Knob("seeds", "seeds", 3, 1, 10)),
    run=_sparsity_run,
    judge=_sparsity_judge,
    small={"epochs": 20, "seeds": 2},
    link=lambda params: ("playground", _penalty_config(params, "l1")),
)


# -- L2 and dropout narrow the train–test gap -------------------------------------------------------------
def _overfitting(n_points: int) -> PlaygroundConfig:
    """A large network on few noisy points, unregularised."""
    return PlaygroundConfig(dataset="circle", n_points=n_points, noise=0.5, **layers(3, 16, "relu"), init="he",
                            loss="bce", optimizer="adam", learning_rate=0.01)


def _gap_variants(params: Params) -> dict[str, PlaygroundConfig]:
    base = _overfitting(params["n_points"])
    return {"none": base, "L2": base.replace(regularization="l2", regularization_rate=params["l2_rate"]),
            "dropout": base.replace(keep_probs=(params["keep_prob"],) * 3)}


def _gap_run(params: Params) -> Generator[Progress, None, Measured]:
    variants = _gap_variants(params)
    seeds, epochs = params["seeds"], params["epochs"]
    meter = Meter(len(variants) * seeds * epochs)
    gaps: dict[str, list[list[float]]] = {name: [] for name in variants}  # per seed: train − test accuracy, epoch by epoch
    tests: dict[str, list[float]] = {name: [] for name in variants}
    for seed in range(seeds):
        for name, config in variants.items():
            _, history = yield from meter.train(seeded(config, seed), epochs, f"{name}, seed {seed + 1} of {seeds}")
            gaps[name].append([m["accuracy"] - m["test_accuracy"] for m in history])
            tests[name].append(history[-1]["test_accuracy"])
    final = {name: [run[-1] for run in runs] for name, runs in gaps.items()}
    figures = {"gap_none": mean_se(final["none"])[0]}
    rows = []
    for name in variants:
        cut, cut_se = mean_se([a - b for a, b in zip(final["none"], final[name], strict=True)])
        key = name.lower()
        if name != "none":
            figures |= {f"gap_{key}": mean_se(final[name])[0], f"narrowing_{key}": cut, f"narrowing_{key}_se": cut_se}
        rows.append({"network": name, "train − test accuracy": mean_se(final[name])[0], "± s.e.": mean_se(final[name])[1],
                     "test accuracy": mean_se(tests[name])[0], "gap narrowed by": cut, "narrowing ± s.e.": cut_se})
    evidence = Evidence("line", "epoch", "train accuracy − test accuracy",
                        tuple(curve(name, range(1, epochs + 1), runs) for name, runs in gaps.items()),
                        note="Mean over seeds, ± one standard error. Every seed trains all three on the same data.")
    return Measured(figures, tuple(rows), evidence)


def _gap_judge(figures: Mapping[str, float], params: Params) -> Verdict:
    parts, narrowed = [], []
    for name in ("L2", "dropout"):
        cut, se = figures[f"narrowing_{name.lower()}"], figures[f"narrowing_{name.lower()}_se"]
        if cut > MARGIN * se and cut > 0:
            narrowed.append(name)
        parts.append(f"{name} narrows the gap by {cut:+.1%} (± {se:.1%}; {MARGIN:g} s.e. = {MARGIN * se:.1%})")
    outcome = {2: "supported", 1: "mixed", 0: "not supported"}[len(narrowed)]
    return Verdict(outcome, f"gap without regularisation {figures['gap_none']:.1%}; " + "; ".join(parts) +
                   f". Narrowed by more than {MARGIN:g} standard errors: {', '.join(narrowed) or 'neither'}.")


GAP = Lab(
    key="dropout_l2_gap",
    topic="regularisation",
    title="L2 and dropout narrow the train–test gap",
    claim="On small noisy data a large network overfits; L2 regularisation and dropout shrink the gap between training and "
          "test accuracy.",
    setup="Circle data with noise 0.5, few points (half for testing); three hidden layers of 16 ReLU units (He init), binary "
          "cross-entropy, Adam at learning rate 0.01, batch 10. On every seed (new data, new weights) the same network is trained "
          "without regularisation, with L2 and with dropout on every hidden layer. Gap: training accuracy minus test accuracy "
          "after the last epoch, dropout off for both.",
    rule=f"A method narrows the gap when the unregularised gap minus its gap, averaged over seeds, exceeds {MARGIN:g} standard "
         "errors of that per-seed difference. Supported if both L2 and dropout narrow it; mixed if one does; not supported if "
         "neither.",
    knobs=(Knob("l2_rate", "L2 rate λ", 3.0, 0.01, 10.0, log=True), Knob("keep_prob", "dropout keep_prob", 0.7, 0.3, 0.95),
           Knob("n_points", "points", 100, 40, 400), Knob("epochs", "epochs", 300, 10, 2000, log=True),
           Knob("seeds", "seeds", 6, 2, 12)),
    run=_gap_run,
    judge=_gap_judge,
    small={"n_points": 40, "epochs": 10, "seeds": 2},
    link=lambda params: ("playground", _gap_variants(params)["dropout"]),
)


# -- early stopping -------------------------------------------------------------------------------------------
RECOVERED = 0.75  # share of the test loss lost by training on that early stopping must win back


def fresh_test(config: PlaygroundConfig, seed: int) -> Callable[[PlaygroundTrainer], dict[str, float]]:
    """A watch for Meter.train: the loss on new points from the same distribution, never seen in training or in
    choosing the stop (as many as the data set has, from another data seed)."""
    data = make_dataset(config.dataset, config.n_points, config.noise, 10_000 + seed)
    x = feature_matrix(data.x, config.features)

    def measure(trainer: PlaygroundTrainer) -> dict[str, float]:
        z, _ = trainer.net.forward(trainer.scaler(x))
        return {"fresh_loss": loss_and_grad(trainer.loss_spec, z, data.y, 2)[0]}

    return measure


def _stopping_run(params: Params) -> Generator[Progress, None, Measured]:
    config = _overfitting(params["n_points"])
    seeds, epochs = params["seeds"], params["epochs"]
    meter = Meter(seeds * epochs)
    curves: dict[str, list[list[float]]] = {"training": [], "held out (chooses the stop)": [], "fresh test": []}
    stops = []
    for seed in range(seeds):
        watch = fresh_test(config, seed)
        _, history = yield from meter.train(seeded(config, seed), epochs, f"seed {seed + 1} of {seeds}", watch=watch)
        for name, key in zip(curves, ("loss", "test_loss", "fresh_loss"), strict=True):
            curves[name].append([m[key] for m in history])
        stops.append(int(np.argmin(curves["held out (chooses the stop)"][-1])))
    test = [np.array(run) for run in curves["fresh test"]]
    gain, gain_se = mean_se([t[-1] - t[stop] for t, stop in zip(test, stops, strict=True)])
    lost = mean_se([t[-1] - t.min() for t in test])[0]
    figures = {"gain": gain, "gain_se": gain_se, "lost": lost, "recovered": gain / lost if lost > 0 else 0.0}
    table = tuple({"seed": i + 1, "stop epoch": stop + 1, "best test epoch": int(t.argmin()) + 1,
                   "test loss at the stop": float(t[stop]), "best test loss": float(t.min()), "test loss at the end": float(t[-1])}
                  for i, (t, stop) in enumerate(zip(test, stops, strict=True)))
    evidence = Evidence("line", "epoch", "loss (binary cross-entropy)",
                        tuple(curve(name, range(1, epochs + 1), runs) for name, runs in curves.items()),
                        note=f"Mean over seeds. Early stopping stops at the held-out minimum (mean epoch {np.mean(stops) + 1:.0f}).")
    return Measured(figures, table, evidence)


def _stopping_judge(figures: Mapping[str, float], params: Params) -> Verdict:
    gain, se, recovered = figures["gain"], figures["gain_se"], figures["recovered"]
    helps, near = gain > MARGIN * se and gain > 0, recovered >= RECOVERED
    outcome = "supported" if helps and near else "mixed" if helps else "not supported"
    return Verdict(outcome, f"stopping at the held-out minimum lowers the final test loss by {gain:.3f} (± {se:.3f}: "
                            f"{'more' if helps else 'not more'} than {MARGIN:g} standard errors) and wins back {recovered:.0%} of the "
                            f"{figures['lost']:.3f} lost between the best epoch and the end ({'at least' if near else 'less than'} "
                            f"{RECOVERED:.0%}).")


STOPPING = Lab(
    key="early_stopping",
    topic="regularisation",
    title="Early stopping lands near the test minimum",
    claim="Stopping training where the held-out (dev) loss is lowest gives nearly the lowest test loss, better than training on.",
    setup="The unregularised network of the train–test-gap lab (circle data, noise 0.5, three ReLU layers of 16, Adam 0.01). "
          "The Playground's test half is used as the dev set that chooses the stop; a fresh test set of as many new points from "
          "the same distribution judges it. Per seed: the stop is the epoch of the lowest dev loss; gain = test loss at the end "
          "minus test loss at the stop; lost = test loss at the end minus the lowest test loss of any epoch.",
    rule=f"Supported if the mean gain exceeds {MARGIN:g} standard errors and wins back at least {RECOVERED:.0%} of the mean loss "
         "lost (gain / lost); mixed if only the gain is significant; not supported otherwise.",
    knobs=(Knob("n_points", "points", 100, 40, 400), Knob("epochs", "epochs", 300, 10, 2000, log=True), Knob("seeds", "seeds", 6, 2, 12)),
    run=_stopping_run,
    judge=_stopping_judge,
    small={"n_points": 40, "epochs": 10, "seeds": 2},
    link=lambda params: ("playground", _overfitting(params["n_points"])),
)

LABS: tuple[Lab, ...] = (SPARSITY, GAP, STOPPING)
