"""Figures of the Playground (issue: Playground page).

Reference experiment (TensorFlow Playground's defaults): spiral, 500 points, 50% train, inputs
x1 and x2, hidden [4, 2] tanh, MSE, SGD, learning rate 0.03, batch 10.

- playground.reference.epochs_per_s: epochs/s of the reference through the runtime (1 worker, 1 thread).
- playground.reference.hand_loop_ratio: that ÷ the same math in a minimal hand-written NumPy loop.
- playground.reference.autograd_epochs_per_s: the naive baseline, nn.Sequential + torch.optim, for context.
- playground.large.epochs_per_s: 8 hidden layers × 64 ReLU units, through the runtime.
- playground.boundary_ms: one snapshot's views (100×100 boundary, neuron previews, health) for the reference.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator

import numpy as np
import torch

from engine.device import configure_threads
from engine.playground.config import PlaygroundConfig
from engine.playground.trainer import PlaygroundTrainer
from engine.playground.views import payload
from engine.runtime import Runtime

Figure = tuple[str, float, str]
REFERENCE = PlaygroundConfig()
LARGE = PlaygroundConfig(hidden=(64,) * 8, activations=("relu",) * 8, keep_probs=(1.0,) * 8, batch_norm=(False,) * 8)
WINDOW_S = 3.0


def _log(message: str) -> None:
    print(f"[bench.playground] {message}", file=sys.stderr, flush=True)


def _rate(step: Callable[[], object], seconds: float = WINDOW_S) -> float:
    for _ in range(20):
        step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    return n / (time.perf_counter() - start)


def hand_loop(config: PlaygroundConfig) -> Callable[[], None]:
    """The reference's math and nothing else: tanh layers, tanh head against ±1, ½(ŷ − y)², SGD."""
    trainer = PlaygroundTrainer(config)  # only for identical data and initial weights
    x, t = trainer.x_train, 2.0 * trainer.train.y[:, None] - 1.0
    W = [w.copy() for w in trainer.net.W]
    b = [v.copy() for v in trainer.net.b]
    rng, lr, batch = np.random.default_rng(0), config.learning_rate, config.batch_size

    def epoch() -> None:
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            acts = [x[idx]]
            for Wl, bl in zip(W, b, strict=True):
                acts.append(np.tanh(acts[-1] @ Wl.T + bl))
            d = (acts[-1] - t[idx]) / len(idx)
            for l in range(len(W) - 1, -1, -1):
                dz = d * (1.0 - acts[l + 1] ** 2)
                if l:
                    d = dz @ W[l]
                W[l] -= lr * (dz.T @ acts[l])
                b[l] -= lr * dz.sum(axis=0)

    return epoch


def autograd_loop(config: PlaygroundConfig) -> Callable[[], None]:
    trainer = PlaygroundTrainer(config)
    x = torch.from_numpy(trainer.x_train).float()
    t = torch.from_numpy(2.0 * trainer.train.y[:, None] - 1.0).float()
    sizes = config.architecture().sizes
    layers: list[torch.nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.learning_rate)

    def epoch() -> None:
        for idx in torch.randperm(len(x)).split(config.batch_size):
            loss = 0.5 * ((model(x[idx]) - t[idx]) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return epoch


def through_runtime(rt: Runtime, config: PlaygroundConfig) -> float:
    run = rt.start("bench", PlaygroundTrainer, config)
    rt.wait(run, lambda s: s.step >= 50, timeout=120)
    before, start = rt.snapshot(run).step, time.perf_counter()
    time.sleep(WINDOW_S)
    rate = (rt.snapshot(run).step - before) / (time.perf_counter() - start)
    rt.release(run)
    return rate


def run(want: Callable[[str], bool]) -> Iterator[Figure]:
    configure_threads(1)
    if want("playground.reference") or want("playground.large"):
        rt = Runtime(workers=1)
        try:
            if want("playground.reference"):
                ours = through_runtime(rt, REFERENCE)
                hand = _rate(hand_loop(REFERENCE))
                _log(f"reference: runtime {ours:.0f} epochs/s, minimal hand loop {hand:.0f} epochs/s")
                yield "playground.reference.epochs_per_s", ours, "epochs/s"
                yield "playground.reference.hand_loop_ratio", ours / hand, "x"
                if want("playground.reference.autograd"):
                    yield "playground.reference.autograd_epochs_per_s", _rate(autograd_loop(REFERENCE)), "epochs/s"
            if want("playground.large"):
                yield "playground.large.epochs_per_s", through_runtime(rt, LARGE), "epochs/s"
        finally:
            rt.shutdown()
    if want("playground.boundary_ms"):
        trainer = PlaygroundTrainer(REFERENCE)
        for _ in range(20):
            trainer.step()
        yield "playground.boundary_ms", 1000 / _rate(lambda: payload(trainer), seconds=1.0), "ms"
