"""Figures of the Optimizers page.

- optimizers.race_ms: a 500-step race of 6 optimizers (SGD, momentum, Nesterov, RMSprop, Adam,
  AdamW) on Rosenbrock, the whole race computed at once (target < 200 ms). Median of 5.
- optimizers.race_snapshot_ms: one snapshot of that race at its end (what each live redraw costs the worker).
- optimizers.sweep_ms: the learning-rate heat map of that race, 6 optimizers × 31 rates × 500 steps.
- optimizers.landscape_s: the loss landscape of a [8, 8] tanh network on 500 training points at
  41 × 41, including its 200 training epochs, on one core (target < 10 s).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterator

from engine.device import configure_threads
from engine.optim.race import RaceConfig, run_race
from engine.optim.sweep import log_grid, sweep

Figure = tuple[str, float, str]
RACE = RaceConfig(steps=500).on_surface("rosenbrock").with_racers(
    [{"optimizer": name, "learning_rate": lr} for name, lr in
     (("sgd", 1e-3), ("momentum", 1e-3), ("nesterov", 1e-3), ("rmsprop", 1e-2), ("adam", 1e-2), ("adamw", 1e-2))])


def _log(message: str) -> None:
    print(f"[bench.optimizers] {message}", file=sys.stderr, flush=True)


def _median_s(work: Callable[[], object], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(want: Callable[[str], bool]) -> Iterator[Figure]:
    configure_threads(1)
    if want("optimizers.race"):
        yield "optimizers.race_ms", 1000 * _median_s(lambda: run_race(RACE)), "ms"
        trainer = run_race(RACE)
        assert trainer.t == 500
        yield "optimizers.race_snapshot_ms", 1000 * _median_s(trainer.snapshot, 20), "ms"
    if want("optimizers.sweep"):
        yield "optimizers.sweep_ms", 1000 * _median_s(lambda: sweep(RACE, log_grid(1e-4, 10.0, 6)), 3), "ms"
    if want("optimizers.landscape"):
        from engine.optim.landscape import LandscapeConfig, compute_landscape

        config = LandscapeConfig(hidden=(8, 8), activations=("tanh", "tanh"), keep_probs=(1.0, 1.0), batch_norm=(False, False),
                                 dataset="spiral", n_points=1000, epochs=200, resolution=41)
        _log("landscape: [8, 8] tanh, 500 training points, 200 epochs, 41 × 41")
        start = time.perf_counter()
        result = compute_landscape(config)
        yield "optimizers.landscape_s", time.perf_counter() - start, "s"
        assert result["grid"].shape == (41, 41)



