"""Figures of the Labs page: labs.<key>_s, each lab's default run end to end on one thread (as a runtime
worker runs it: one worker per core, one thread each), with its verdict on stderr. Targets: every lab under
60 s, at least half under 10 s; labs.under_10s_share and labs.slowest_s sum them up."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator

from engine.device import configure_threads

Figure = tuple[str, float, str]


def run(want: Callable[[str], bool]) -> Iterator[Figure]:
    from engine.labs.base import run_to_end
    from engine.labs.registry import LABS

    configure_threads(1)
    seconds = []
    for key, lab in LABS.items():
        if not want(f"labs.{key}_s"):
            continue
        start = time.perf_counter()
        result = run_to_end(lab)
        elapsed = time.perf_counter() - start
        seconds.append(elapsed)
        print(f"[bench.labs] {key}: {result.verdict.outcome} — {result.verdict.because}", file=sys.stderr, flush=True)
        yield f"labs.{key}_s", elapsed, "s"
    if seconds and want("labs.under_10s_share"):
        yield "labs.under_10s_share", sum(s < 10 for s in seconds) / len(seconds), "of labs"
        yield "labs.slowest_s", max(seconds), "s"
