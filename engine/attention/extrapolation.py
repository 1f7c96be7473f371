"""Length extrapolation: train on sequences of length L, test on longer ones, for each positional scheme.

Two toy tasks on random token sequences x_0 … x_{n−1} (uniform over `vocab` tokens), both
answered by a causal (decoder-style) TinyTransformer at every position t:

- "previous": the target at t is x_{t−1}. It needs relative position — "the token just before me".
- "first": the target at t is x_0. It needs absolute position — "the token at position 0".

Position 0 is never scored: for "previous" it has no target, for "first" it is its own answer.
A causal mask leaks some position by itself: position 0 is the only one that sees just itself, so
a 2-layer model with no position code at all learns "first" perfectly at every length (measured),
and on "previous" a 1-layer one gets position 1 right (it sees x_0 and itself) and ~1/t later on.
Token accuracy is the fraction of scored positions predicted right; chance is 1/vocab.

Each scheme ("none", "sinusoidal", "learned", "rope", "alibi") gets its own model, built from the
same seed, and sees the same training batches (a data generator per scheme, seeded alike), so
the schemes differ only in how position enters. Training is round-robin: runtime step k trains
scheme k mod S for CHUNK Adam iterations, so the loss curves grow side by side in a live view.
After `steps` iterations per scheme, each further step evaluates one (scheme, length) cell on
EVAL_BATCHES fixed batches (the same sequences for every scheme). A learned table has no entry
for positions ≥ L, so that scheme is not run past L: its cell is NaN, with a note saying why.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
import torch.nn.functional as F

from engine.attention.core import POSITIONAL
from engine.attention.model import build
from engine.config import Config, ConfigError, check_choice, check_range

TASKS = ("previous", "first")
CHUNK = 10  # training iterations per runtime step
EVAL_BATCHES, EVAL_BATCH = 4, 64  # sequences per evaluated cell: 256
EVAL_WORK = 2 * CHUNK  # an evaluated cell costs about as much as this many training iterations (for progress)
CURVE_POINTS = 300  # loss curves in the payload are down-sampled to at most this many points


@dataclasses.dataclass(frozen=True)
class ExtrapolationConfig(Config):
    task: str = "previous"
    train_length: int = 16  # L: every training sequence has this length
    test_multiples: tuple[int, ...] = (1, 2, 4)  # test at these multiples of L
    schemes: tuple[str, ...] = POSITIONAL
    vocab: int = 10
    d_model: int = 32
    heads: int = 2
    layers: int = 1
    steps: int = 1000  # training iterations per scheme (the default experiment takes ~17 s on one core)
    batch_size: int = 32
    learning_rate: float = 3e-3  # Adam
    seed: int = 0

    HOT = frozenset()  # a comparison is only fair when every scheme trains under the same settings

    def check(self) -> None:
        check_choice("task", self.task, TASKS)
        check_range("train_length", self.train_length, 4, 64)
        if not self.test_multiples:
            raise ConfigError("test_multiples needs at least one multiple of the training length.")
        for m in self.test_multiples:
            check_range("each of test_multiples", m, 1, 8)
        if not self.schemes:
            raise ConfigError("schemes needs at least one positional scheme to compare.")
        for s in self.schemes:
            check_choice("each of schemes", s, POSITIONAL)
        if len(set(self.schemes)) < len(self.schemes):
            raise ConfigError("each scheme may appear in schemes only once.")
        check_range("vocab", self.vocab, 4, 50)
        check_range("d_model", self.d_model, 16, 128)
        check_range("heads", self.heads, 1, 8)
        if self.d_model % self.heads or (self.d_model // self.heads) % 2:
            raise ConfigError(f"d_model ({self.d_model}) must split into {self.heads} heads of even width "
                              "(RoPE rotates pairs of coordinates): choose d_model divisible by 2 × heads.")
        check_range("layers", self.layers, 1, 2)
        check_range("steps", self.steps, 10, 5000)
        check_range("batch_size", self.batch_size, 4, 256)
        check_range("learning_rate", self.learning_rate, 1e-4, 0.1)
        check_range("seed", self.seed, 0, 10**6)

    @property
    def lengths(self) -> tuple[int, ...]:
        return tuple(sorted({m * self.train_length for m in self.test_multiples}))


# -- the tasks -----------------------------------------------------------------------------------------
def make_batch(task: str, batch: int, n: int, vocab: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """tokens (batch, n) and targets (batch, n); position 0's target is −100 (ignored by the loss)."""
    tokens = torch.randint(vocab, (batch, n), generator=generator)
    targets = torch.roll(tokens, 1, dims=1) if task == "previous" else tokens[:, :1].expand(batch, n).clone()
    targets[:, 0] = -100
    return tokens, targets


def unfit_reason(scheme: str, n: int, train_length: int) -> str | None:
    """Why a scheme cannot be run at length n at all (None: it can)."""
    if scheme == "learned" and n > train_length:
        return f"no table entries past {train_length}: a learned table has rows for positions 0–{train_length - 1} only."
    return None


def downsample(values: list[float], points: int = CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(iterations, mean loss) over at most `points` equal bins; each bin is stamped with its last iteration."""
    if not values:
        return np.zeros(0), np.zeros(0)
    bins = np.array_split(np.asarray(values), min(points, len(values)))
    ends = np.cumsum([len(b) for b in bins])
    return ends.astype(float), np.array([b.mean() for b in bins])


# -- the trainer -----------------------------------------------------------------------------------------
class ExtrapolationTrainer:
    """The experiment as a runtime job. Payload: "stage" (training, evaluating, done), "progress" (0 → 1),
    "schemes", "lengths", "accuracy" (schemes × lengths, NaN where not run yet or not applicable),
    "position_accuracy" (schemes × max length: accuracy at each position, at the longest length the
    scheme was run; NaN at position 0), "notes" (one string per scheme saying why it has NaN cells, or ""),
    "loss_curves" ({scheme: {"steps", "loss"}}, ≤ CURVE_POINTS bin means), "train_length", "task",
    "chance" (1/vocab), "steps" (per scheme), "trained" (iterations done per scheme) and "learned_table"
    (the learned scheme's position table, or None)."""

    unit = "step"

    def __init__(self, config: ExtrapolationConfig, device: torch.device | str | None = None) -> None:
        self.config = c = config
        self.device = torch.device(device or "cpu")
        self.schemes, self.lengths = c.schemes, c.lengths
        self.models = [build(seed=c.seed, device=self.device, vocab=c.vocab, d_model=c.d_model, heads=c.heads, layers=c.layers,
                             positional=s, causal=True, max_len=c.train_length) for s in self.schemes]
        self.optimizers = [torch.optim.Adam(m.parameters(), lr=c.learning_rate) for m in self.models]
        self.generators = [torch.Generator().manual_seed(c.seed + 1) for _ in self.schemes]  # identical batches per scheme
        self.n_parameters = max(m.n_parameters for m in self.models)
        self.losses: list[list[float]] = [[] for _ in self.schemes]
        self.trained = [0] * len(self.schemes)  # iterations done per scheme
        self.turn = 0  # whose chunk is next
        self.cells = [(s, j) for s in range(len(self.schemes)) for j in range(len(self.lengths))]
        self.evaluated = 0
        self.accuracy = np.full((len(self.schemes), len(self.lengths)), np.nan)
        self.position_accuracy = np.full((len(self.schemes), max(self.lengths)), np.nan)  # at the longest length run
        self.notes = [""] * len(self.schemes)  # why a scheme has NaN cells, in words; "" when it has none
        self.loss = math.log(c.vocab)  # the loss of a uniform guess, until there is a real one
        self.done_reason = f"Evaluated {len(self.schemes)} scheme(s) at lengths {', '.join(map(str, self.lengths))}."

    # -- the Trainer protocol -----------------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        if min(self.trained) < self.config.steps:
            self._train_chunk()
        elif not self.done:
            self._evaluate_cell()
        return {"loss": self.loss, "progress": self.progress}

    @property
    def done(self) -> bool:
        return self.evaluated == len(self.cells)

    @property
    def progress(self) -> float:
        total = len(self.schemes) * self.config.steps + len(self.cells) * EVAL_WORK
        return 1.0 if self.done else (sum(self.trained) + self.evaluated * EVAL_WORK) / total

    @property
    def stage(self) -> str:
        return "done" if self.done else "training" if min(self.trained) < self.config.steps else "evaluating"

    def snapshot(self) -> dict:
        c = self.config
        curves = {}
        for name, values in zip(self.schemes, self.losses, strict=True):
            steps, loss = downsample(values)
            curves[name] = {"steps": steps, "loss": loss}
        return {
            "stage": self.stage, "progress": self.progress, "schemes": tuple(self.schemes), "lengths": tuple(self.lengths),
            "accuracy": self.accuracy.copy(), "position_accuracy": self.position_accuracy.copy(), "notes": tuple(self.notes),
            "loss_curves": curves, "train_length": c.train_length, "task": c.task, "chance": 1.0 / c.vocab,
            "steps": c.steps, "trained": tuple(self.trained), "learned_table": self._learned_table(),
        }

    def _learned_table(self) -> np.ndarray | None:
        """The learned scheme's position table (train_length × d_model) as trained so far, or None."""
        if "learned" not in self.schemes:
            return None
        table = self.models[self.schemes.index("learned")].pos_embed.weight
        return table.detach().cpu().numpy().astype(np.float32)

    def apply(self, config: ExtrapolationConfig, changed: frozenset[str]) -> None:
        self.config = config  # nothing is hot: any real change rebuilds the trainer

    def parameters_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for m in self.models for p in m.parameters())

    # -- the stages -----------------------------------------------------------------------------------------
    def _train_chunk(self) -> None:
        c = self.config
        while self.trained[self.turn] >= c.steps:  # a scheme that has finished gives its turn away
            self.turn = (self.turn + 1) % len(self.schemes)
        s = self.turn
        model, optimizer, generator = self.models[s], self.optimizers[s], self.generators[s]
        model.train()
        for _ in range(min(CHUNK, c.steps - self.trained[s])):
            tokens, targets = make_batch(c.task, c.batch_size, c.train_length, c.vocab, generator)
            logits, _ = model(tokens.to(self.device))
            loss = F.cross_entropy(logits.reshape(-1, c.vocab), targets.to(self.device).reshape(-1), ignore_index=-100)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # a safety rail: no scheme may blow up the comparison
            optimizer.step()
            self.losses[s].append(loss.item())
            self.trained[s] += 1
        if math.isfinite(self.losses[s][-1]):
            self.loss = self.losses[s][-1]
        self.turn = (s + 1) % len(self.schemes)

    @torch.no_grad()
    def _evaluate_cell(self) -> None:
        c = self.config
        s, j = self.cells[self.evaluated]
        scheme, n = self.schemes[s], self.lengths[j]
        reason = unfit_reason(scheme, n, c.train_length)
        if reason is not None:
            self.notes[s] = reason
        else:
            model = self.models[s].eval()
            generator = torch.Generator().manual_seed(c.seed + 1000 + n)  # the same test sequences for every scheme
            correct = torch.zeros(n, dtype=torch.float64)
            for _ in range(EVAL_BATCHES):
                tokens, targets = make_batch(c.task, EVAL_BATCH, n, c.vocab, generator)
                logits, _ = model(tokens.to(self.device))
                correct += (logits.argmax(-1).cpu() == targets).sum(0)
            self.accuracy[s, j] = float(correct[1:].sum()) / ((n - 1) * EVAL_BATCHES * EVAL_BATCH)
            self.position_accuracy[s, :n] = (correct / (EVAL_BATCHES * EVAL_BATCH)).numpy()
            self.position_accuracy[s, 0] = np.nan  # position 0 is not scored
        self.evaluated += 1


def run_extrapolation(config: ExtrapolationConfig, device: torch.device | str | None = None) -> dict:
    """Run an ExtrapolationTrainer to completion and return its final snapshot payload (bench, tests)."""
    trainer = ExtrapolationTrainer(config, device)
    while not trainer.done:
        trainer.step()
    return trainer.snapshot()
