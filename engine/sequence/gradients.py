"""Gradients through time: how strongly the loss at the last step reaches back to each earlier hidden state.

For a loss L_T at step T, back-propagation through time gives ∂L_T/∂h_t = ∂L_T/∂h_T · Π_{s=t+1..T} ∂h_s/∂h_{s−1},
a product of one Jacobian per step. For a tanh RNN each factor is diag(1 − h_s²) W_h: with the usual
initialisation (spectral radius of W_h below 1) the product shrinks exponentially with T − t — the
vanishing gradient, which is why a plain RNN struggles to learn long-range dependencies; with W_h
scaled up it can grow exponentially instead — the exploding gradient. A GRU's (1 − z) ⊙ h_{t−1}
path and an LSTM's f ⊙ c_{t−1} path add a near-identity route that lets the gradient survive longer.

`gradient_through_time` measures ‖∂L_T/∂h_t‖ for every t (autograd with respect to each step's hidden
state, which is a node of the graph); `compare_at_init` does it for fresh RNN, GRU and LSTM models on
the same sequence; `exploding_run` trains a tanh RNN with a large W_h with or without clipping and
records what happens, update by update; `ExplodingTrainer` runs both as a job for the page.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from engine.config import Config, check_range
from engine.sequence.cells import CELLS, SequenceModel
from engine.sequence.charlm import CharLMConfig, CharLMTrainer, windows


def gradient_through_time(model: SequenceModel, ids: Sequence[int] | torch.Tensor, target_position: int = -1,
                          layer: int = -1) -> np.ndarray:
    """ids: T + 1 character ids (the inputs, then the targets shifted by one). Returns (T,) float64: ‖∂L/∂h_t‖ for
    t = 0 … T−1, where L is the cross-entropy of the prediction at target_position and h_t the hidden state of
    `layer` (the top one by default). Steps after the target get 0: the loss does not depend on them. Computed on
    a float64 copy of the model: vanishing gradients fall below float32's smallest number (1e-45) within ~200 steps,
    and a log-scale plot needs the true small values, not zeros."""
    model = copy.deepcopy(model).to("cpu", torch.float64)  # small models; not every accelerator has float64
    ids = torch.as_tensor(ids, dtype=torch.long).cpu().reshape(-1)
    if ids.numel() < 2:
        raise ValueError("need at least two characters: one input and the next one as its target.")
    inputs, targets = ids[:-1].unsqueeze(0), ids[1:]  # (1, T), (T,)
    T = inputs.shape[1]
    position = target_position % T
    with torch.enable_grad():
        logits, _, steps = model.unroll(inputs, record=True)
        hs = [h for h, _ in steps[layer]]  # T tensors (1, H), each used by the next step and the layer above
        loss = F.cross_entropy(logits[0, position:position + 1], targets[position:position + 1])
        grads = torch.autograd.grad(loss, hs, allow_unused=True)
    return np.array([0.0 if g is None else float(g.norm()) for g in grads])


def compare_at_init(ids: Sequence[int], vocab_size: int, hidden: int = 64, cells: Sequence[str] = tuple(CELLS), seed: int = 0,
                    init_scale: float = 1.0) -> dict[str, np.ndarray]:
    """‖∂L_T/∂h_t‖ against t for a freshly initialised model of each cell type (same seed, same sequence)."""
    result = {}
    for cell in cells:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = SequenceModel(vocab_size, cell, hidden, 1, init_scale=init_scale)
        result[cell] = gradient_through_time(model, ids)
    return result


def exploding_config(clip: float, w_h_scale: float = 4.0, seq_length: int = 128, learning_rate: float = 1.0, hidden: int = 64,
                     seed: int = 0) -> CharLMConfig:
    """A tanh RNN on the dinosaur names with W_h scaled up, plain SGD, full BPTT over long windows."""
    return CharLMConfig(cell="rnn", hidden=hidden, w_h_scale=w_h_scale, seq_length=seq_length, bptt=seq_length, clip=clip,
                        optimizer="sgd", learning_rate=learning_rate, seed=seed)


class ExplodingRun:
    """A large-W_h RNN trained one full-BPTT update at a time, recording per update "loss", "grad_norm" (before
    clipping) and "max_weight" (the largest |parameter| after it). It stops, with `stopped` saying why, at a
    non-finite loss or gradient norm (clipping cannot rescale an infinite norm); `stopped` is "" while it goes on."""

    def __init__(self, config: CharLMConfig) -> None:
        self.config = config
        self.trainer = CharLMTrainer(config)
        self.record: dict[str, list[float]] = {"loss": [], "grad_norm": [], "max_weight": []}
        self.stopped = ""

    def update(self) -> None:
        if self.stopped:
            return
        trainer, config = self.trainer, self.config
        inputs, targets = windows(trainer.ids, config.batch_size, config.seq_length, trainer.generator)
        logits, _ = trainer.model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        norm = trainer.update(loss)
        self.record["loss"].append(loss.item())
        self.record["grad_norm"].append(norm)
        self.record["max_weight"].append(max(float(p.detach().abs().max()) for p in trainer.model.parameters()))
        if not (math.isfinite(loss.item()) and math.isfinite(norm)):
            what = "loss" if not math.isfinite(loss.item()) else "gradient norm"
            value = loss.item() if what == "loss" else norm
            self.stopped = f"the {what} became {'NaN' if math.isnan(value) else 'infinite'} at update {len(self.record['loss'])}."

    def result(self) -> dict:
        return {"clip": self.config.clip, "stopped": self.stopped, **{k: np.array(v) for k, v in self.record.items()}}


def exploding_run(config: CharLMConfig, updates: int = 20) -> dict:
    """Train `updates` full-BPTT updates (ExplodingRun) and return the record; stops early at a blow-up."""
    run = ExplodingRun(config)
    for _ in range(updates):
        run.update()
        if run.stopped:
            break
    return run.result()


def exploding_demo(updates: int = 20, **kwargs: float) -> dict[str, dict]:
    """The same large-W_h RNN trained without ("unclipped") and with clipping at 1 ("clipped")."""
    return {"unclipped": exploding_run(exploding_config(0.0, **kwargs), updates),
            "clipped": exploding_run(exploding_config(1.0, **kwargs), updates)}


@dataclasses.dataclass(frozen=True)
class ExplodingConfig(Config):
    """The exploding-gradient demo as a job: the same large-W_h RNN without and with clipping at 1."""

    w_h_scale: float = 4.0
    learning_rate: float = 1.0
    updates: int = 20
    seq_length: int = 128
    seed: int = 0

    def check(self) -> None:
        check_range("w_h_scale", self.w_h_scale, 0.1, 20)
        check_range("learning_rate", self.learning_rate, 1e-3, 2.0)
        check_range("updates", self.updates, 1, 200)
        check_range("seq_length", self.seq_length, 4, 256)
        check_range("seed", self.seed, 0, 10**6)


class ExplodingTrainer:
    """A one-shot job (ui/jobs.py): one step = one update of each run. Metrics: "progress" (0..1). Payload:
    "runs" {"unclipped", "clipped": exploding_run's record so far}, "updates", "progress". A run that blows up
    stops by itself (its "stopped" says why) while the other goes on: a blow-up is the result here, not a failure."""

    unit = "step"

    def __init__(self, config: ExplodingConfig, device: torch.device | str | None = None) -> None:
        self.config = config
        kwargs = {"w_h_scale": config.w_h_scale, "learning_rate": config.learning_rate, "seq_length": config.seq_length,
                  "seed": config.seed}
        self.runs = {"unclipped": ExplodingRun(exploding_config(0.0, **kwargs)), "clipped": ExplodingRun(exploding_config(1.0, **kwargs))}
        self.steps = 0
        self.n_parameters = self.runs["clipped"].trainer.n_parameters
        self.done_reason = "The exploding-gradient demo is complete."

    @property
    def done(self) -> bool:
        return self.steps >= self.config.updates or all(run.stopped for run in self.runs.values())

    def step(self) -> dict[str, float]:
        for run in self.runs.values():
            run.update()
        self.steps += 1
        return {"progress": self.progress}

    @property
    def progress(self) -> float:
        return 1.0 if self.done else self.steps / self.config.updates

    def snapshot(self) -> dict:
        return {"runs": {name: run.result() for name, run in self.runs.items()}, "updates": self.config.updates,
                "progress": self.progress}

    def apply(self, config: ExplodingConfig, changed: frozenset[str]) -> None:
        self.config = config

    def parameters_finite(self) -> bool:
        return True  # a run whose update blew up skipped it (CharLMTrainer.update), and its blow-up is what the demo shows
