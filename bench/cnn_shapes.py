"""Figures of the CNN page's live CNN on the generated shapes.

- cnn.shapes_time_to_90_s: the default CNNConfig trained on one thread, as a runtime worker trains it, stepping CNNTrainer until the
  test accuracy reaches 90 %; wall seconds from the trainer's construction (the data sets included).
  Target < 60 s. Gives up at 180 s and reports the time it gave up at (a note on stderr says so).
- cnn.shapes_steps_per_s: runtime steps (CHUNK minibatch updates each, and a test pass every
  EVALUATE_EVERY steps) per second during that run.
- cnn.shapes_dataset_ms: generating the default training set (4,000 images of 32 × 32; median of 3).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterator

from engine.device import configure_threads

Figure = tuple[str, float, str]
TARGET = 0.90
GIVE_UP_S = 180.0


def _log(message: str) -> None:
    print(f"[bench.cnn_shapes] {message}", file=sys.stderr, flush=True)


def _dataset_ms() -> Iterator[Figure]:
    from engine.cnn.model import CNNConfig
    from engine.cnn.trainer import train_set

    config = CNNConfig()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        train_set(config)
        times.append(time.perf_counter() - start)
    yield "cnn.shapes_dataset_ms", 1000 * statistics.median(times), "ms"


def _time_to_90() -> Iterator[Figure]:
    from engine.cnn.model import CNNConfig
    from engine.cnn.trainer import CHUNK, run_until

    config = CNNConfig()
    _log(f"training the default CNN (filters {config.filters}, {config.optimizer} {config.learning_rate:g}, batch {config.batch_size}, "
         f"{CHUNK} updates a step) to {TARGET:.0%} test accuracy")
    seconds, trainer, curve = run_until(config, TARGET, GIVE_UP_S)
    for t, metrics in curve[:: max(1, len(curve) // 20)] + curve[-1:]:
        _log(f"  {t:6.2f} s  epoch {metrics['epoch']:5.2f}  loss {metrics['loss']:.3f}  test accuracy {metrics['test_accuracy']:.3f}")
    reached = curve[-1][1]["test_accuracy"] >= TARGET
    if not reached:
        _log(f"gave up at {seconds:.1f} s without reaching {TARGET:.0%}: the figure is the time it gave up at")
    steps_s = curve[-1][0] - curve[0][0]
    rate = (len(curve) - 1) / steps_s if steps_s > 0 else float("nan")
    _log(f"{len(curve)} steps ({trainer.iteration} updates, {trainer.n_parameters:,} parameters); {rate:.1f} steps/s")
    yield "cnn.shapes_time_to_90_s", seconds, "s"
    yield "cnn.shapes_steps_per_s", rate, "steps/s"


def run(want: Callable[[str], bool]) -> Iterator[Figure]:
    configure_threads(1)  # the runtime runs one worker per core with one thread each: what a learner's job gets
    if want("cnn.shapes_dataset"):
        yield from _dataset_ms()
    if want("cnn.shapes_time_to_90") or want("cnn.shapes_steps_per_s"):
        yield from _time_to_90()
