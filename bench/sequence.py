"""Figures of the Sequence-models page.

- sequence.dino_lstm_loss_at_60s: the default character model (LSTM, hidden 128, the dinosaur names,
  Adam 3e-3, batch 32 × 32 characters) trained for 60 s; the figure is the training
  loss in nats per character, averaged over the last ~5 s (a uniform guess over the 53 characters
  scores ln 53 ≈ 3.97). A few samples go to stderr so a reader can judge whether they look like names.
- sequence.chars_per_s: the same run's training throughput, characters per second.
- sequence.recall_s: the default memory-range experiment (RNN, GRU, LSTM and a transformer at
  L = 5, 10, 20, 40; 300 Adam steps each) end to end; its accuracy table goes to stderr.

Everything runs on one thread (THREADS), as a runtime worker runs a job on a 2-core machine: one
worker per core, one thread each. The steps of these small recurrent models are bound by per-operation
overhead, not arithmetic, so a second thread has little to share, and on a machine whose other core
is busy it makes every operation wait for the descheduled thread: on our shared 2-core machine the
60 s LSTM run made 86 updates with two threads against 2,928 with one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator

import numpy as np

from engine.device import configure_threads

Figure = tuple[str, float, str]
TRAIN_SECONDS = 60.0
THREADS = 1  # see the module docstring


def _log(message: str) -> None:
    print(f"[bench.sequence] {message}", file=sys.stderr, flush=True)


def _dino_lstm() -> Iterator[Figure]:
    from engine.sequence.charlm import CharLMConfig, CharLMTrainer, sample

    config = CharLMConfig()
    trainer = CharLMTrainer(config)
    _log(f"LSTM hidden {config.hidden}, {trainer.n_parameters:,} parameters, vocabulary {trainer.data.vocab_size}; "
         f"training {TRAIN_SECONDS:.0f} s")
    start = time.perf_counter()
    history: list[tuple[float, float]] = []  # (seconds, loss)
    while (now := time.perf_counter() - start) < TRAIN_SECONDS:
        history.append((now, trainer.step()["loss"]))
        if len(history) % 100 == 0:
            _log(f"  {now:5.1f} s  step {trainer.steps}  loss {history[-1][1]:.3f}")
    seconds = time.perf_counter() - start
    recent = [loss for t, loss in history if t >= seconds - 5.0]
    yield "sequence.dino_lstm_loss_at_60s", float(np.mean(recent)), "nats/char"
    yield "sequence.chars_per_s", trainer.characters / seconds, "chars/s"
    _log(f"{trainer.updates} updates, {trainer.characters:,} characters; samples at temperature 0.8:")
    for i in range(8):
        _log("  " + sample(trainer.model, trainer.data.vocab, 40, 0.8, seed=i, stop_at_newline=True))


def run(want: Callable[[str], bool]) -> Iterator[Figure]:
    configure_threads(THREADS)
    if want("sequence.dino_lstm_loss_at_60s") or want("sequence.chars_per_s"):
        yield from _dino_lstm()
    if want("sequence.recall"):
        from engine.sequence.recall import RecallConfig, run_recall

        config = RecallConfig()
        _log(f"recall: {', '.join(config.models)} at L = {config.lengths}, {config.updates} updates each")
        start = time.perf_counter()
        result = run_recall(config)
        yield "sequence.recall_s", time.perf_counter() - start, "s"
        for model, row in zip(result["models"], result["accuracy"], strict=True):
            _log(f"  {model:<12} accuracy {np.round(row, 3)} (chance {result['chance']:.3f})")
