"""Figures of the Positional-encodings page.

- positional.heatmap_ms: the sinusoidal table for 512 positions × d_model 512 and its Plotly heat
  map, built and serialised to JSON as the page sends it (target < 300 ms; median of 5). Where
  Plotly is not installed (a GPU machine with torch only) the table alone is timed, as
  positional.table_ms.

- positional.extrapolation_s: the default length-extrapolation experiment end to end (five schemes
  trained at L = 16 for 1,000 Adam steps each, then tested at 16, 32 and 64), on one core (target < 60 s).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator

import numpy as np

from engine.device import configure_threads

Figure = tuple[str, float, str]


def _log(message: str) -> None:
    print(f"[bench.positional] {message}", file=sys.stderr, flush=True)


def _heatmap_ms() -> Iterator[Figure]:
    import statistics

    from engine.attention.positional import sinusoidal

    try:
        from ui.positional_charts import pe_heatmap
    except ImportError:
        _log("plotly is not installed here: timing the table only")
        times = []
        for _ in range(5):
            start = time.perf_counter()
            sinusoidal(512, 512)
            times.append(time.perf_counter() - start)
        yield "positional.table_ms", 1000 * statistics.median(times), "ms"
        return
    times = []
    for _ in range(5):
        start = time.perf_counter()
        pe_heatmap(sinusoidal(512, 512), 0, 10).to_json()
        times.append(time.perf_counter() - start)
    yield "positional.heatmap_ms", 1000 * statistics.median(times), "ms"


def run(want: Callable[[str], bool]) -> Iterator[Figure]:
    configure_threads(1)
    if want("positional.heatmap") or want("positional.table"):
        yield from _heatmap_ms()
    if want("positional.extrapolation"):
        from engine.attention.extrapolation import ExtrapolationConfig, run_extrapolation

        config = ExtrapolationConfig()
        _log(f"extrapolation: {', '.join(config.schemes)}; task {config.task}, L = {config.train_length}, {config.steps} steps each")
        start = time.perf_counter()
        result = run_extrapolation(config)
        yield "positional.extrapolation_s", time.perf_counter() - start, "s"
        for scheme, row in zip(result["schemes"], result["accuracy"], strict=True):
            _log(f"  {scheme:<10} accuracy at {result['lengths']}: {np.round(row, 3)}")
