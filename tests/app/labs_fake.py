"""Fake labs for the Labs page's tests, quick and deterministic, so the page can be tested whatever labs the
engine registers: `fake_slope` (a line with error bars on log axes; the verdict depends on a knob),
`fake_bars` (grouped bars), `fake_fail` (its run raises) and `fake_link` (opens the Playground).
`FakeLabTrainer` is LabTrainer for a worker process that knows these labs too (it adds them to the worker's
registry before it starts)."""

from __future__ import annotations

import dataclasses
import time

from engine.labs import registry
from engine.labs.base import Evidence, Knob, Lab, Measured, Series, Verdict
from engine.labs.trainer import LabTrainer
from engine.playground.config import PlaygroundConfig


def _slope_run(params):
    xs = [1, 2, 4, 8, 16]
    ys = []
    for i, x in enumerate(xs):
        time.sleep(0.02)
        ys.append(params["scale"] * x ** (1 if params["direction"] == "up" else -1))
        yield (i + 1) / len(xs), f"point {i + 1} of {len(xs)}"
    figures = {"ratio": ys[-1] / ys[0], "points": float(params["points"])}
    table = tuple({"x": x, "y": y} for x, y in zip(xs, ys, strict=True))
    evidence = Evidence("line", "size", "response", (Series("measured", tuple(xs), tuple(ys), tuple(0.1 * y for y in ys)),
                                                    Series("flat", tuple(xs), (1.0,) * 5)), log_x=True, log_y=True,
                        note="Read it left to right.")
    return Measured(figures, table, evidence)


def _slope_judge(figures, params):
    ratio = figures["ratio"]
    if ratio > 2:
        return Verdict("supported", f"the response grew {ratio:.3g}× from size 1 to 16 (rule: more than 2×).")
    return Verdict("not supported", f"the response changed {ratio:.3g}× from size 1 to 16 (rule: more than 2×).")


SLOPE = Lab(
    key="fake_slope", topic="initialisation", title="A fake slope", claim="The response grows with size.",
    setup="Five sizes, one seed; the direction is varied.", rule="Supported if the response grows more than 2× from 1 to 16.",
    knobs=(Knob("scale", "Scale", 1.0, 0.01, 100.0, log=True, help="multiplies every response"),
           Knob("points", "Points", 5, 1, 50), Knob("direction", "Direction", "up", choices=("up", "down")),
           Knob("noisy", "Noisy", False)),
    run=_slope_run, judge=_slope_judge, small={"points": 2},
)


def _bars_run(params):
    yield 0.5, "measuring"
    return Measured({"gap": 0.2}, ({"loss": "CE", "recall": 0.4}, {"loss": "focal", "recall": 0.6}),
                    Evidence("bar", "loss", "recall", (Series("recall", ("CE", "focal"), (0.4, 0.6), (0.05, 0.05)),)))


BARS = Lab(key="fake_bars", topic="losses", title="Fake bars", claim="Focal beats CE.", setup="Two losses.",
           rule="Mixed, always.", knobs=(Knob("ratio", "Ratio", 20, 2, 100, log=True),), run=_bars_run,
           judge=lambda figures, params: Verdict("mixed", f"the gap is {figures['gap']:g}."))


def _fail_run(params):
    yield 0.1, "starting"
    raise ValueError("the data ran out")


FAIL = Lab(key="fake_fail", topic="losses", title="A fake failure", claim="This lab never finishes.", setup="Nothing.",
           rule="None.", knobs=(), run=_fail_run, judge=lambda figures, params: Verdict("mixed", ""))

LINKED = dataclasses.replace(SLOPE, key="fake_link", topic="optimisation", title="A fake with a link", claim="This one opens elsewhere.",
                             link=lambda p: ("playground", PlaygroundConfig(learning_rate=p["scale"], n_points=321)))

FAKES = (SLOPE, BARS, FAIL, LINKED)


class FakeLabTrainer(LabTrainer):
    def __init__(self, config, device=None) -> None:
        for lab in FAKES:
            registry.LABS.setdefault(lab.key, lab)
        super().__init__(config, device)
