"""Figures of the Attention page's cost section (issue 7: patterns and cost).

- attention.full_vs_window_slope: the log-log slope of full attention's time against the sequence
  length n = 64 … 4096 (d = 64, one head, float32, the larger half of the lengths; ≈ 2: quadratic).
- attention.window_slope: the same for sliding-window attention with w = 64 (≈ 1: linear).

Measured on the device engine.device picks (CUDA, then MPS, then the CPU with one thread); the
per-length times and memory go to stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

from engine.attention.patterns import LENGTHS, loglog_slope, measure_cost
from engine.device import configure_threads, pick_device

Figure = tuple[str, float, str]


def _log(message: str) -> None:
    print(f"[bench.attention_cost] {message}", file=sys.stderr, flush=True)


def run(want: Callable[[str], bool]) -> Iterator[Figure]:
    if not (want("attention.full_vs_window_slope") or want("attention.window_slope")):
        return
    configure_threads(1)
    device = pick_device()
    result = measure_cost(LENGTHS, d=64, window=64, device=device, repeats=5)
    _log(f"device {result['device']}, d = {result['d']}, window w = {result['width']}")
    _log(f"{'n':>6} {'full ms':>10} {'window ms':>10} {'full MiB':>10} {'window MiB':>10}")
    for i, n in enumerate(result["lengths"]):
        full, window = result["full"], result["window"]
        _log(f"{n:>6} {1000 * full['time_s'][i]:>10.3f} {1000 * window['time_s'][i]:>10.3f} "
             f"{full['memory_bytes'][i] / 2**20:>10.2f} {window['memory_bytes'][i] / 2**20:>10.2f}")
    yield "attention.full_vs_window_slope", loglog_slope(result["lengths"], result["full"]["time_s"]), ""
    yield "attention.window_slope", loglog_slope(result["lengths"], result["window"]["time_s"]), ""
