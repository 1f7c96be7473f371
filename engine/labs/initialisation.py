"""Labs on initialisation: zero weights never break the symmetry between hidden units; small random ones do.

With every weight zero, all units of a hidden layer compute the same value, receive the same gradient and take
the same step, so they stay copies of one another for ever: the layer is one unit, repeated. The lab trains the
same network from zeros and from N(0, 0.01²) and measures how far apart the units' incoming weights end up.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping

import numpy as np

from engine.labs.base import Evidence, Knob, Lab, Measured, Params, Progress, Verdict
from engine.labs.playground_runs import Meter, curve, layers, mean_se, seeded
from engine.playground.config import PlaygroundConfig
from engine.playground.trainer import PlaygroundTrainer

INITS = ("zeros", "small")
LABELS = {"zeros": "zeros", "small": "small random N(0, 0.01²)"}
SAME, APART = 1e-6, 1e-3  # the rule's thresholds on the spread


def _config(params: Params) -> PlaygroundConfig:
    return PlaygroundConfig(dataset="circle", n_points=200, **layers(1, params["width"], params["activation"]),
                            loss="bce", optimizer="adam", learning_rate=0.03, batch_size=10)


def spread(trainer: PlaygroundTrainer) -> dict[str, float]:
    """The largest distance between two hidden units' incoming weights (their row of W[1] and their bias)."""
    net = trainer.net
    rows = np.hstack([net.W[0], net.b[0][:, None]])  # (units, inputs + 1)
    gaps = np.linalg.norm(rows[:, None, :] - rows[None, :, :], axis=2)
    return {"spread": float(gaps.max())}


def _run(params: Params) -> Generator[Progress, None, Measured]:
    seeds, epochs = params["seeds"], params["epochs"]
    meter = Meter(len(INITS) * seeds * epochs)
    curves: dict[str, list[list[float]]] = {init: [] for init in INITS}
    final: dict[str, list[tuple[float, float]]] = {init: [] for init in INITS}  # (spread, test accuracy) per seed
    for seed in range(seeds):
        for init in INITS:
            config = seeded(_config(params), seed).replace(init=init)
            _, history = yield from meter.train(config, epochs, f"{LABELS[init]}, seed {seed + 1} of {seeds}", watch=spread)
            curves[init].append([m["spread"] for m in history])
            final[init].append((history[-1]["spread"], history[-1]["test_accuracy"]))
    figures = {"spread_zeros": max(s for s, _ in final["zeros"]), "spread_small": min(s for s, _ in final["small"]),
               "accuracy_zeros": mean_se([a for _, a in final["zeros"]])[0],
               "accuracy_small": mean_se([a for _, a in final["small"]])[0]}
    return Measured(figures, _table(final), _evidence(curves))


def _table(final: Mapping[str, list[tuple[float, float]]]) -> tuple[dict, ...]:
    rows = []
    for init in INITS:
        spreads = [s for s, _ in final[init]]
        accuracy, se = mean_se([a for _, a in final[init]])
        rows.append({"initialisation": LABELS[init], "smallest spread": min(spreads), "largest spread": max(spreads),
                     "test accuracy": accuracy, "± s.e.": se})
    return tuple(rows)


def _evidence(curves: Mapping[str, list[list[float]]]) -> Evidence:
    epochs = range(1, len(curves[INITS[0]][0]) + 1)
    series = tuple(curve(LABELS[init], epochs, curves[init]) for init in INITS)
    return Evidence("line", "epoch", "spread of the hidden units' weights", series,
                    note="A spread of 0 means the hidden units are exact copies of one another. Mean over seeds, ± one standard error.")


def _judge(figures: Mapping[str, float], params: Params) -> Verdict:
    zeros, small = figures["spread_zeros"], figures["spread_small"]
    same, apart = zeros < SAME, small > APART
    outcome = "supported" if same and apart else "mixed" if same or apart else "not supported"
    return Verdict(outcome, f"zero init's largest spread is {zeros:.2g} ({'below' if same else 'not below'} {SAME:g}); "
                            f"small random init's smallest spread is {small:.2g} ({'above' if apart else 'not above'} {APART:g}).")


ZERO_INIT = Lab(
    key="zero_init",
    topic="initialisation",
    title="Zero initialisation never breaks symmetry",
    claim="With all weights initialised to zero, the hidden units stay identical however long the network trains; "
          "small random initial weights make them differ.",
    setup="Circle data (200 points, half for testing), one hidden layer, binary cross-entropy, Adam at learning rate "
          "0.03, batch 10. The same network is trained from zeros and from N(0, 0.01²), for each seed (new data and new "
          "random weights). Spread: the largest distance between two hidden units' incoming weight vectors (weights and "
          "bias). With tanh or ReLU, zero weights also give the hidden layer zero gradients, so it never moves at all; "
          "with sigmoid it moves, but in lockstep.",
    rule=f"Supported if zero init's largest spread over seeds is below {SAME:g} (equal up to rounding) and small random "
         f"init's smallest spread is above {APART:g}; mixed if only one holds; not supported if neither.",
    knobs=(
        Knob("activation", "hidden activation", "sigmoid", choices=("sigmoid", "tanh", "relu")),
        Knob("width", "hidden units", 8, 2, 32),
        Knob("epochs", "epochs", 200, 10, 2000, log=True),
        Knob("seeds", "seeds", 3, 1, 10),
    ),
    run=_run,
    judge=_judge,
    small={"width": 4, "epochs": 20, "seeds": 2},
    link=lambda params: ("playground", _config(params).replace(init="zeros")),
)

LABS: tuple[Lab, ...] = (ZERO_INIT,)
