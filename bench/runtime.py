"""Figures of the live-training runtime (issue: foundation).

- runtime.overhead_ratio: steps/s of a small job through the runtime ÷ the same loop called
  directly in this process (1 worker, 1 thread each; close to 1 means the runtime costs little).
- runtime.snapshot_latency_ms: median time from the end of a job's step to its snapshot being
  readable in the server process.
- runtime.fairness_ratio: steps of the slower ÷ the faster of two equal jobs run together on the
  default pool; runtime.fairness_ratio_one_worker: the same when one worker time-slices both.
- runtime.scaling: total steps/s of as many equal jobs as cores ÷ one job alone (processes);
  runtime.thread_scaling: the same with threads in one process, for comparison (the GIL).
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator

import torch

from engine.curve_fit import CurveFitConfig, CurveFitTrainer
from engine.device import configure_threads, cpu_count
from engine.runtime import Runtime
from engine.runtime.executor import LocalProcessExecutor

Figure = tuple[str, float, str]
WINDOW_S = 3.0
CONFIG = CurveFitConfig()  # 128 points, [16, 16] tanh, Adam, batch 32: a small, Python-bound job


def _log(message: str) -> None:
    print(f"[bench.runtime] {message}", file=sys.stderr, flush=True)


def direct_steps_per_s(seconds: float = WINDOW_S) -> float:
    trainer = CurveFitTrainer(CONFIG, torch.device("cpu"))
    for _ in range(50):
        trainer.step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        trainer.step()
        n += 1
    return n / (time.perf_counter() - start)


def runtime_rates(rt: Runtime, jobs: int, seconds: float = WINDOW_S) -> list[float]:
    """Steps/s of each of `jobs` equal jobs started together."""
    runs = [rt.start("bench", CurveFitTrainer, CONFIG) for _ in range(jobs)]
    for r in runs:
        rt.wait(r, lambda s: s.step >= 50, timeout=60)
    before = [rt.snapshot(r).step for r in runs]
    start = time.perf_counter()
    time.sleep(seconds)
    after = [rt.snapshot(r).step for r in runs]
    elapsed = time.perf_counter() - start
    for r in runs:
        rt.release(r)
    return [(a - b) / elapsed for a, b in zip(after, before, strict=True)]


def thread_rates(threads: int, seconds: float = WINDOW_S) -> float:
    """Total steps/s of `threads` equal jobs run by threads of this one process."""
    counts = [0] * threads
    stop = threading.Event()

    def loop(i: int) -> None:
        trainer = CurveFitTrainer(CONFIG, torch.device("cpu"))
        while not stop.is_set():
            trainer.step()
            counts[i] += 1

    pool = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    time.sleep(0.5)
    start_counts, start = sum(counts), time.perf_counter()
    time.sleep(seconds)
    total = (sum(counts) - start_counts) / (time.perf_counter() - start)
    stop.set()
    for t in pool:
        t.join()
    return total


def run(want: Callable[[str], bool]) -> Iterator[Figure]:
    configure_threads(1)
    cores = cpu_count()
    if want("runtime.overhead_ratio") or want("runtime.snapshot_latency_ms") or want("runtime.fairness_ratio_one_worker"):
        latencies: list[float] = []

        def factory(callback):
            def timed(snapshot):
                latencies.append(time.time() - snapshot.created_at)
                callback(snapshot)
            return LocalProcessExecutor(timed, cpu_workers=1)

        rt = Runtime(executor_factory=factory)
        try:
            if want("runtime.overhead_ratio"):
                _log("direct loop vs one job through the runtime")
                direct = direct_steps_per_s()
                (through,) = runtime_rates(rt, 1)
                _log(f"direct {direct:.0f} steps/s, runtime {through:.0f} steps/s")
                yield "runtime.overhead_ratio", through / direct, "x"
            if want("runtime.snapshot_latency_ms"):
                latencies.clear()
                runtime_rates(rt, 1, seconds=2.0)
                yield "runtime.snapshot_latency_ms", 1000 * statistics.median(latencies), "ms"
            if want("runtime.fairness_ratio_one_worker"):
                a, b = runtime_rates(rt, 2)
                yield "runtime.fairness_ratio_one_worker", min(a, b) / max(a, b), "x"
        finally:
            rt.shutdown()
    if want("runtime.fairness_ratio") or want("runtime.scaling"):
        rt = Runtime(workers=cores)
        try:
            if want("runtime.fairness_ratio"):
                a, b = runtime_rates(rt, 2)
                yield "runtime.fairness_ratio", min(a, b) / max(a, b), "x"
            if want("runtime.scaling"):
                alone = runtime_rates(rt, 1)[0]
                together = sum(runtime_rates(rt, cores))
                _log(f"{cores} cores: one job {alone:.0f} steps/s, {cores} jobs {together:.0f} steps/s in total")
                yield "runtime.scaling", together / alone, "x"
        finally:
            rt.shutdown()
    if want("runtime.thread_scaling"):
        one = thread_rates(1)
        many = thread_rates(cores)
        yield "runtime.thread_scaling", many / one, "x"
