"""Labs on normalisation: standardised inputs and batch norm both let plain gradient descent train at larger
learning rates.

Both sweep the learning rate over a doubling grid and find, seed by seed, the largest rate at which a Playground
network still trains. "Trains" is one test for both labs: the training loss (MSE ½(y − ŷ)², regression) stays
finite and ends below half the loss of always predicting the mean target, i.e. the network explains at least half
of the targets' variance. A rate that blows the loss up, or kills every ReLU and leaves the network predicting a
constant, fails it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Mapping

import numpy as np

from engine.labs.base import Evidence, Knob, Lab, Measured, Params, Progress, Series, Verdict
from engine.labs.playground_runs import Meter, diverged, layers, seeded
from engine.playground.config import PlaygroundConfig

RATES = tuple(0.001 * 2**k for k in range(14))  # 0.001 … 8.192, doubling
EXPLAINED = 0.5  # a run trains when its final loss is below (1 − EXPLAINED) × the mean predictor's loss
WIDER, SAME = 4.0, 1.0  # the rules' thresholds on the ratio of largest rates (4 = two steps of the grid)


def trains(history: list[dict[str, float]], targets: np.ndarray) -> bool:
    """True when the loss stayed finite and ends below half that of predicting the mean, ½·var(y)."""
    loss = history[-1]["loss"]
    return math.isfinite(loss) and loss < (1 - EXPLAINED) * 0.5 * float(np.var(targets))


def _sweep(arms: Mapping[str, PlaygroundConfig], params: Params) -> Generator[Progress, None, dict[str, np.ndarray]]:
    """For each arm, a (seeds, rates) array: 1 where the network trains at that learning rate."""
    seeds, epochs = params["seeds"], params["epochs"]
    meter = Meter(len(arms) * seeds * len(RATES) * epochs)
    grid = {name: np.zeros((seeds, len(RATES))) for name in arms}
    for seed in range(seeds):
        for name, config in arms.items():
            for i, rate in enumerate(RATES):
                run = seeded(config, seed).replace(learning_rate=rate)
                trainer, history = yield from meter.train(run, epochs, f"{name}, rate {rate:g}, seed {seed + 1}", stop=diverged)
                grid[name][seed, i] = trains(history, trainer.train.y)
    return grid


def largest(ok: np.ndarray) -> float:
    """The largest rate of the grid at which one seed trains; 0 when none does."""
    where = np.flatnonzero(ok)
    return RATES[where[-1]] if len(where) else 0.0


def _measure(grid: Mapping[str, np.ndarray], keys: Mapping[str, str]) -> Measured:
    """Figures largest_<key>: the geometric mean over seeds of the largest rate that trains, for each arm."""
    figures, rows = {}, []
    for name, ok in grid.items():
        best = [largest(row) for row in ok]
        floor = RATES[0] / 2  # a seed where no rate trains counts as half the grid's smallest rate
        figures[f"largest_{keys[name]}"] = mean = math.exp(float(np.mean(np.log(np.maximum(best, floor)))))
        rows.append({"network": name, "largest rate that trains (geometric mean)": mean, "smallest over seeds": min(best),
                     "largest over seeds": max(best), "share of rates that train": float(ok.mean())})
    series = tuple(Series(name, RATES, tuple(float(v) for v in ok.mean(axis=0))) for name, ok in grid.items())
    evidence = Evidence("line", "learning rate", "share of seeds that train", series, log_x=True,
                        note="A run trains when its loss ends finite and below half that of predicting the mean target.")
    return Measured(figures, tuple(rows), evidence)


def _judge_with(keys: tuple[str, str], labels: tuple[str, str]) -> Callable[[Mapping[str, float], Params], Verdict]:
    """The rule of both labs: the second arm's largest rate over the first's, against WIDER and SAME."""

    def judge(figures: Mapping[str, float], params: Params) -> Verdict:
        first, second = (figures[f"largest_{k}"] for k in keys)
        ratio = second / first
        if ratio >= WIDER:
            outcome, how = "supported", f"at least {WIDER:g}"
        elif ratio <= SAME:
            outcome, how = "not supported", f"not above {SAME:g}"
        else:
            outcome, how = "mixed", f"above {SAME:g} but below {WIDER:g}"
        return Verdict(outcome, f"largest learning rate that trains (geometric mean over seeds): {first:.3g} {labels[0]}, "
                                f"{second:.3g} {labels[1]}; ratio {ratio:.3g}, {how}.")

    return judge


def _rule(what: str) -> str:
    return (f"Supported if the largest learning rate that trains (geometric mean over seeds) is at least {WIDER:g} times larger "
            f"{what} (two steps of the doubling grid); not supported if it is not larger; mixed in between.")


# -- standardised inputs ------------------------------------------------------------------------------------
FEATURE_SETS = {"x1, x2": ("x1", "x2"), "x1, x2, x1², x2²": ("x1", "x2", "x1_sq", "x2_sq"),
                "all seven": ("x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2")}
INPUT_ARMS = {"raw inputs": "raw", "standardised inputs": "standardised"}


def _input_arms(params: Params) -> dict[str, PlaygroundConfig]:
    base = PlaygroundConfig(dataset="plane", n_points=200, features=FEATURE_SETS[params["features"]], **layers(1, 8, "relu"),
                            init="he", loss="mse", optimizer="sgd", batch_size=10)
    return {"raw inputs": base, "standardised inputs": base.replace(standardize=True)}


def _input_run(params: Params) -> Generator[Progress, None, Measured]:
    grid = yield from _sweep(_input_arms(params), params)
    return _measure(grid, INPUT_ARMS)


INPUTS = Lab(
    key="input_normalisation",
    topic="normalisation",
    title="Standardised inputs allow a larger learning rate",
    claim="Standardising the inputs (subtract the training mean, divide by the standard deviation) lets gradient descent "
          "train at a larger learning rate than raw features on different scales.",
    setup="Regression on the plane data (200 points, half for testing), inputs x1, x2 on [−6, 6] and, by default, their squares "
          "on [0, 36]: features on different scales, none centred. One hidden layer of 8 ReLU units (He init), MSE, plain SGD, "
          "batch 10, a fixed number of epochs at each learning rate of a doubling grid from 0.001 to 8.192, with raw and with "
          "standardised inputs, on every seed. A run trains when its training loss stays finite and ends below half the loss of "
          "predicting the mean target.",
    rule=_rule("with standardised inputs than with raw ones"),
    knobs=(Knob("features", "input features", "x1, x2, x1², x2²", choices=tuple(FEATURE_SETS)),
           Knob("epochs", "epochs per run", 50, 10, 500, log=True), Knob("seeds", "seeds", 2, 1, 6)),
    run=_input_run,
    judge=_judge_with(("raw", "standardised"), ("raw", "standardised")),
    small={"features": "x1, x2", "epochs": 10, "seeds": 1},
    link=lambda params: ("playground", _input_arms(params)["raw inputs"].replace(learning_rate=0.03)),
)


# -- batch norm -------------------------------------------------------------------------------------------------
BN_ARMS = {"without batch norm": "plain", "with batch norm": "batch_norm"}


def _bn_arms(params: Params) -> dict[str, PlaygroundConfig]:
    depth = params["depth"]
    base = PlaygroundConfig(dataset="multi_gaussian", n_points=200, **layers(depth, 16, "relu"), init="he", loss="mse",
                            optimizer="sgd", batch_size=25)
    return {"without batch norm": base, "with batch norm": base.replace(batch_norm=(True,) * depth)}


def _bn_run(params: Params) -> Generator[Progress, None, Measured]:
    grid = yield from _sweep(_bn_arms(params), params)
    return _measure(grid, BN_ARMS)


BATCH_NORM = Lab(
    key="batch_norm_rate",
    topic="normalisation",
    title="Batch norm allows a larger learning rate",
    claim="Batch normalisation raises the largest learning rate at which a deep network still trains.",
    setup="Regression on the multi-Gaussian data (200 points, half for testing). A stack of ReLU layers of 16 units (He init), "
          "MSE, plain SGD, batch 25, a fixed number of epochs at each learning rate of a doubling grid from 0.001 to 8.192, "
          "without and with batch norm on every hidden layer, on every seed. A run trains when its training loss (measured in "
          "evaluation mode, batch norm on its running statistics) stays finite and ends below half the loss of predicting the "
          "mean target.",
    rule=_rule("with batch norm than without"),
    knobs=(Knob("depth", "hidden layers", 4, 1, 8), Knob("epochs", "epochs per run", 50, 10, 500, log=True),
           Knob("seeds", "seeds", 2, 1, 6)),
    run=_bn_run,
    judge=_judge_with(("plain", "batch_norm"), ("without batch norm", "with")),
    small={"depth": 2, "epochs": 10, "seeds": 1},
    link=lambda params: ("playground", _bn_arms(params)["with batch norm"].replace(learning_rate=1.0)),
)

LABS: tuple[Lab, ...] = (INPUTS, BATCH_NORM)
