"""Playground runs inside a lab: the MLP labs train `PlaygroundConfig`s with the Playground's own trainer, so a
lab's link opens exactly the setup it measured.

`Meter` counts work done against a known total and yields `(progress, stage)` whenever `SLICE` seconds of work
have passed since its last yield, so a lab generator hands control back to the runtime after short pieces of
work, not after every (sub-millisecond) epoch.
`Meter.train` trains one config for some epochs (one `PlaygroundTrainer.step` an epoch) and returns the trainer
and its per-epoch metrics. `layers` writes per-layer fields, `seeded` gives a config a seed of its own, `diverged`
tells a blown-up run, and `mean_se` and `curve` summarise seeds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

import numpy as np

from engine.labs.base import Progress, Series, standard_error
from engine.playground.config import PlaygroundConfig
from engine.playground.trainer import PlaygroundTrainer

SLICE = 0.05  # seconds of work between two yields
MAX_POINTS = 100  # per line of evidence

Metrics = dict[str, float]
Trained = tuple[PlaygroundTrainer, list[Metrics]]  # the trainer after its last epoch, and each epoch's metrics


class Meter:
    """Progress of one lab run: work done out of `total` (in any unit: epochs, networks)."""

    def __init__(self, total: float) -> None:
        self.total = max(float(total), 1e-9)
        self.done = 0.0
        self.last = time.perf_counter()

    def advance(self, amount: float, stage: str) -> Iterator[Progress]:
        """Count `amount` of work as done; yield when a slice's worth of time has passed since the last yield."""
        self.done += amount
        now = time.perf_counter()
        if now - self.last >= SLICE:
            self.last = now
            yield min(self.done / self.total, 1.0), stage

    def train(self, config: PlaygroundConfig, epochs: int, stage: str,
              stop: Callable[[Metrics], bool] | None = None,
              watch: Callable[[PlaygroundTrainer], Metrics] | None = None) -> Generator[Progress, None, Trained]:
        """Train `config` for `epochs` epochs (fewer when `stop` says so); the epochs count as work done. Each
        epoch's metrics are the trainer's, plus what `watch` measures on the trainer after that epoch."""
        trainer = PlaygroundTrainer(config)
        history: list[Metrics] = []
        for epoch in range(epochs):
            history.append(trainer.step() | (watch(trainer) if watch else {}))
            if stop and stop(history[-1]):
                yield from self.advance(epochs - epoch, stage)
                break
            yield from self.advance(1, stage)
        return trainer, history


def layers(n: int, width: int, activation: str, keep_prob: float = 1.0, batch_norm: bool = False) -> dict[str, Any]:
    """The per-layer fields of n equal hidden layers (n = 0: no hidden layer, a perceptron)."""
    return {"hidden": (width,) * n, "activations": (activation,) * n, "keep_probs": (keep_prob,) * n,
            "batch_norm": (batch_norm,) * n}


def seeded(config: PlaygroundConfig, seed: int) -> PlaygroundConfig:
    """The same experiment with seed `seed` for both the data and the network (new points, new initial weights)."""
    return config.replace(seed=seed, data_seed=seed)


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """(mean, standard error of the mean) over seeds."""
    values = [float(v) for v in values]
    return sum(values) / len(values), standard_error(values)


def curve(name: str, x: Sequence, runs: Sequence[Sequence[float]]) -> Series:
    """One line of evidence: the mean over seeds at each x, with ± one standard error (none for one seed), thinned
    to at most about MAX_POINTS evenly spaced points (the last one kept)."""
    values = np.asarray(runs, dtype=float)  # (seeds, len(x))
    keep = sorted({*range(0, len(x), math.ceil(len(x) / MAX_POINTS)), len(x) - 1})
    values = values[:, keep]
    err = values.std(axis=0, ddof=1) / np.sqrt(len(values)) if len(values) > 1 else ()
    return Series(name, tuple(x[i] for i in keep), tuple(float(v) for v in values.mean(axis=0)), tuple(float(e) for e in err))


def diverged(metrics: Metrics) -> bool:
    """A training loss that is not finite: the run blew up."""
    return not math.isfinite(metrics["loss"])
