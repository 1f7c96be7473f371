"""The memory-range experiment: how far back can each kind of sequence model remember one symbol?

Delayed recall: a sequence is one symbol s from an alphabet of `alphabet` letters (A, B, …), then
L distractors drawn from a disjoint set of `distractors` digits (0, 1, …), then a query "?". The
answer, read at the query, is s: "C 2 0 3 1 ?" → "C" (L = 4). Only the answer is scored, so the
training signal at the last step must travel L + 1 steps back to where s was seen: exactly the
long-range dependency a vanishing gradient starves. Chance is 1 / alphabet.

`RecallTrainer` is a one-shot job: for each L in `lengths` and each model in `models` (a tanh RNN,
a GRU and an LSTM from cells.py, and the Attention page's TinyTransformer, non-causal, with learned
positions) it trains a fresh model for a fixed budget of `updates` Adam steps on fresh batches and
then measures its accuracy on a fixed test set of TEST_SIZE sequences. The same budget for every L
and model makes the curves comparable; it does not say what any model could learn with more time.
"""

from __future__ import annotations

import dataclasses
import math
import string
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.attention.model import build
from engine.config import Config, ConfigError, check_choice, check_range
from engine.sequence.cells import CELLS, SequenceModel

MODELS = (*CELLS, "transformer")
TEST_SIZE = 512
STEP_SECONDS = 0.25  # train at most about this long per runtime step, so progress stays live


@dataclasses.dataclass(frozen=True)
class RecallConfig(Config):
    lengths: tuple[int, ...] = (5, 10, 20, 40)  # L: distractors between the symbol and the query
    models: tuple[str, ...] = MODELS
    alphabet: int = 8  # symbols to remember
    distractors: int = 4  # distinct distractor symbols
    hidden: int = 32  # the cells' hidden size and the transformer's d_model
    updates: int = 300  # Adam steps per model and length
    batch_size: int = 64
    learning_rate: float = 3e-3
    seed: int = 0

    def check(self) -> None:
        if not self.lengths:
            raise ConfigError("lengths must name at least one delay L.")
        for L in self.lengths:
            check_range("each length", L, 1, 200)
        if list(self.lengths) != sorted(set(self.lengths)):
            raise ConfigError("lengths must be increasing, without repeats (e.g. 5, 10, 20, 40).")
        if not self.models:
            raise ConfigError("models must name at least one model.")
        for m in self.models:
            check_choice("each model", m, MODELS)
        check_range("alphabet", self.alphabet, 2, 26)
        check_range("distractors", self.distractors, 1, 10)
        check_range("hidden", self.hidden, 8, 128)
        if self.hidden % 2:
            raise ConfigError(f"hidden ({self.hidden}) must be even: it is also the transformer's width, split over 2 heads.")
        check_range("updates", self.updates, 10, 5000)
        check_range("batch_size", self.batch_size, 8, 512)
        check_range("learning_rate", self.learning_rate, 1e-4, 0.1)
        check_range("seed", self.seed, 0, 10**6)


# -- the task ----------------------------------------------------------------------------------------------
def vocabulary(alphabet: int, distractors: int) -> tuple[str, ...]:
    """Token texts by id: the letters to remember, then the distractor digits, then the query "?"."""
    return (*string.ascii_uppercase[:alphabet], *(str(d) for d in range(distractors)), "?")


def make_batch(batch: int, length: int, alphabet: int, distractors: int,
               generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(sequences (B, L + 2) token ids, answers (B,)): symbol, L distractors, query."""
    symbol = torch.randint(alphabet, (batch, 1), generator=generator)
    noise = alphabet + torch.randint(distractors, (batch, length), generator=generator)
    query = torch.full((batch, 1), alphabet + distractors)
    return torch.cat([symbol, noise, query], dim=1), symbol[:, 0]


def build_model(kind: str, config: RecallConfig, length: int) -> nn.Module:
    vocab = config.alphabet + config.distractors + 1
    if kind == "transformer":
        return build(seed=config.seed, vocab=vocab, d_model=config.hidden, heads=2, layers=1, positional="learned", causal=False,
                     max_len=length + 2)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return SequenceModel(vocab, kind, config.hidden, 1)


def answer_logits(model: nn.Module, sequences: torch.Tensor) -> torch.Tensor:
    """(B, vocab) logits at the query position (both model kinds return (logits, extra))."""
    logits, _ = model(sequences)
    return logits[:, -1]


# -- the job -------------------------------------------------------------------------------------------------
class RecallTrainer:
    """One step = up to STEP_SECONDS of training on the current (length, model) pair; pairs run length by length,
    every model at one L before the next L. Metrics: "loss" (the current pair's training loss) and "progress" (0..1,
    by work: updates × sequence length). Payload: "models", "lengths", "accuracy" ((models, lengths) test
    accuracy, NaN until measured), "loss_curves" ({model: {L: training losses, one per 10 updates}}), "chance",
    "progress", "current" ((model, L) in training, or None when done), "vocabulary", "example" (a sequence's
    text and its answer at the first length) and "seconds" (training time so far)."""

    unit = "step"

    def __init__(self, config: RecallConfig, device: torch.device | str | None = None) -> None:
        self.config = config
        self.device = torch.device(device or "cpu")
        self.pairs = [(m, L) for L in config.lengths for m in config.models]
        self.accuracy = np.full((len(config.models), len(config.lengths)), np.nan)
        self.curves: dict[str, dict[int, list[float]]] = {m: {} for m in config.models}
        self.index, self.seconds = 0, 0.0
        self.n_parameters = max(sum(p.numel() for p in build_model(m, config, max(config.lengths)).parameters()) for m in config.models)
        self.done_reason = f"Memory experiment complete: {len(config.models)} models × {len(config.lengths)} lengths."
        self._start_pair()

    def _start_pair(self) -> None:
        if self.done:
            return
        kind, L = self.pairs[self.index]
        c = self.config
        self.model = build_model(kind, c, L).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=c.learning_rate)
        self.generator = torch.Generator().manual_seed(c.seed * 1000 + 1 + self.index)  # this pair's training batches
        self.pair_updates, self._losses = 0, []
        self.curves[kind][L] = []

    @property
    def done(self) -> bool:
        return self.index >= len(self.pairs)

    @property
    def progress(self) -> float:
        work = [self.config.updates * (L + 2) for _, L in self.pairs]
        finished = sum(work[:self.index]) + (0 if self.done else self.pair_updates * (self.pairs[self.index][1] + 2))
        return 1.0 if self.done else finished / sum(work)

    def step(self) -> dict[str, float]:
        if self.done:
            return {"loss": 0.0, "progress": 1.0}
        c, start = self.config, time.perf_counter()
        kind, L = self.pairs[self.index]
        self.model.train()
        losses = []
        while self.pair_updates < c.updates and time.perf_counter() - start < STEP_SECONDS:
            x, y = make_batch(c.batch_size, L, c.alphabet, c.distractors, self.generator)
            loss = F.cross_entropy(answer_logits(self.model, x.to(self.device)), y.to(self.device))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)  # the same safety for every model
            self.optimizer.step()
            self.pair_updates += 1
            losses.append(loss.item())
            if self.pair_updates % 10 == 0:
                self.curves[kind][L].append(float(np.mean(losses[-10:])))
        self.seconds += time.perf_counter() - start
        if self.pair_updates >= c.updates:
            self.accuracy[c.models.index(kind), c.lengths.index(L)] = self.test_accuracy(self.model, L)
            self.index += 1
            self._start_pair()
        loss = float(np.mean(losses)) if losses else math.nan
        return {"loss": loss if math.isfinite(loss) else math.inf, "progress": self.progress}

    @torch.no_grad()
    def test_accuracy(self, model: nn.Module, length: int) -> float:
        c = self.config
        generator = torch.Generator().manual_seed(c.seed + 10_000 + length)  # the same test set for every model at this L
        x, y = make_batch(TEST_SIZE, length, c.alphabet, c.distractors, generator)
        prediction = answer_logits(model.eval(), x.to(self.device)).argmax(-1).cpu()
        return float((prediction == y).float().mean())

    def snapshot(self) -> dict:
        c = self.config
        generator = torch.Generator().manual_seed(c.seed)
        x, y = make_batch(1, c.lengths[0], c.alphabet, c.distractors, generator)
        vocab = vocabulary(c.alphabet, c.distractors)
        return {"models": c.models, "lengths": c.lengths, "accuracy": self.accuracy.copy(),
                "loss_curves": {m: {L: list(v) for L, v in per_length.items()} for m, per_length in self.curves.items()},
                "chance": 1.0 / c.alphabet, "progress": self.progress,
                "current": None if self.done else self.pairs[self.index], "vocabulary": vocab,
                "example": {"sequence": " ".join(vocab[i] for i in x[0].tolist()), "answer": vocab[int(y[0])]},
                "seconds": self.seconds}

    def apply(self, config: RecallConfig, changed: frozenset[str]) -> None:
        self.config = config  # nothing is hot: any change rebuilds the job

    def parameters_finite(self) -> bool:
        return self.done or all(bool(torch.isfinite(p).all()) for p in self.model.parameters())

    def divergence_hint(self) -> str:
        return f"The learning rate {self.config.learning_rate:g} is too high for this model: reset with a smaller one (3e-3 is safe)."


def run_recall(config: RecallConfig) -> dict:
    """Run the whole experiment and return the final snapshot (bench, tests)."""
    trainer = RecallTrainer(config)
    while not trainer.done:
        trainer.step()
    return trainer.snapshot()
