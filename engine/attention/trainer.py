"""TransformerTrainer: a tiny transformer learns a toy task live (copy, reverse, sort, add, brackets).

Each runtime step is CHUNK Adam iterations on fresh generated batches (tasks.py), followed by a
measurement on a FIXED held-out set of HELD_OUT problems: the loss, token accuracy (scored tokens
right) and sequence accuracy (every scored token of a problem right). The encoder reads the whole
source at once and answers at every position; the decoder (causal) writes the answer after "=",
one token at a time. Its held-out accuracy is teacher-forced, each token predicted from the true
ones before it, which for whole sequences equals greedy generation: a greedy decoder writes the
right answer exactly when every teacher-forced prediction is right.

The view is plain data: one fixed example (the first held-out problem) with the model's answer and
its attention weights per layer and head, how the held-out accuracy falls with each head switched
off, and the weights themselves, so a page can rebuild the model (`restore`) in its own process for
the inference box (`predict`) and head ablation (`evaluate` with a head mask). A head is switched
off by a forward pre-hook on its attention layer that passes MultiHeadAttention a head_mask
(model.py's Block does not take one), so the model's own forward code runs unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from engine.attention import tasks
from engine.attention.model import TinyTransformer, build
from engine.config import Config, ConfigError, check_choice, check_range

POSITIONAL = ("none", "sinusoidal", "learned", "rope")
CHUNK = 4  # Adam iterations per runtime step: about 20 ms on one core at the default size
HELD_OUT = 256  # problems in the fixed held-out set
HEADS_REFRESH_S = 0.5  # head_accuracy costs layers × heads evaluations: refresh it at most this often

HeadMask = Sequence[Sequence[int]] | None  # per layer, one 0/1 per head (0: switched off); None: all on


@dataclasses.dataclass(frozen=True)
class TransformerConfig(Config):
    task: str = "reverse"
    length: int = 8  # n: tokens in a source
    vocab: int = 10  # symbols: digits 0 … vocab−1 (add's base), or brackets' letters
    architecture: str = "encoder"  # "encoder" (non-causal) or "decoder" (causal)
    layers: int = 2
    heads: int = 4
    d_model: int = 32
    positional: str = "learned"
    learning_rate: float = 3e-3  # Adam
    batch_size: int = 64
    seed: int = 0

    HOT = frozenset({"learning_rate", "batch_size"})

    def check(self) -> None:
        check_choice("task", self.task, tasks.TASKS)
        check_range("length", self.length, 4, tasks.MAX_LENGTH)
        check_range("vocab", self.vocab, 4, 20)
        check_choice("architecture", self.architecture, tasks.ARCHITECTURES)
        check_range("layers", self.layers, 1, 4)
        check_range("heads", self.heads, 1, 8)
        check_range("d_model", self.d_model, 16, 128)
        if self.d_model % self.heads:
            raise ConfigError(f"d_model ({self.d_model}) must be divisible by heads ({self.heads}): each head gets an equal "
                              f"share of width d_model / heads. Try d_model = {self.heads * max(1, round(self.d_model / self.heads))}.")
        check_choice("positional", self.positional, POSITIONAL)
        if self.positional == "rope" and (self.d_model // self.heads) % 2:
            raise ConfigError(f"RoPE rotates pairs of coordinates, so the head width d_model / heads ({self.d_model // self.heads}) "
                              "must be even.")
        if self.positional == "sinusoidal" and self.d_model % 2:
            raise ConfigError(f"sinusoidal encodings come in sin/cos pairs, so d_model ({self.d_model}) must be even.")
        check_range("learning_rate", self.learning_rate, 1e-4, 0.1)
        check_range("batch_size", self.batch_size, 4, 256)
        check_range("seed", self.seed, 0, 10**6)

    @property
    def positions(self) -> int:
        """How many positions the model sees (n, or n + k for the decoder)."""
        return tasks.sequence_length(self.task, self.length, self.architecture)


# -- the model and the functions a page can call on a rebuilt one ----------------------------------------
def build_model(config: TransformerConfig, device: torch.device | str | None = None) -> TinyTransformer:
    return build(seed=config.seed, device=device, vocab=len(tasks.vocabulary(config.task, config.vocab)), d_model=config.d_model,
                 heads=config.heads, layers=config.layers, positional=config.positional, causal=config.architecture == "decoder",
                 max_len=config.positions)


def restore(config: TransformerConfig, weights: Mapping[str, np.ndarray], device: torch.device | str | None = None) -> TinyTransformer:
    """A model with the weights from a snapshot's payload["weights"], in eval mode."""
    model = build_model(config, device)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
    return model.eval()


def held_out(config: TransformerConfig) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The fixed held-out set (inputs, targets, loss_mask), drawn from its own seeded stream."""
    generator = torch.Generator().manual_seed(config.seed + 2)
    return tasks.make_batch(config.task, HELD_OUT, config.length, config.vocab, generator, config.architecture)


@contextlib.contextmanager
def ablated(model: TinyTransformer, head_mask: HeadMask) -> Iterator[None]:
    """Inside the block, heads marked 0 contribute nothing (their output is zeroed before W_O)."""
    handles = []
    for block, keep in zip(model.blocks, head_mask or (), strict=False):
        if not all(keep):
            def hook(module, args, kwargs, keep=tuple(keep)):
                return args, {**kwargs, "head_mask": keep}
            handles.append(block.attn.register_forward_pre_hook(hook, with_kwargs=True))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@torch.no_grad()
def evaluate(model: TinyTransformer, inputs: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor,
             head_mask: HeadMask = None) -> dict[str, float]:
    """Loss, token and sequence accuracy of the scored positions, with some heads switched off."""
    device = next(model.parameters()).device
    inputs, targets, mask = inputs.to(device), targets.to(device), mask.to(device)
    with ablated(model, head_mask):
        logits, _ = model(inputs)  # (B, positions, tokens)
    right = (logits.argmax(-1) == targets) | ~mask  # unscored positions count as right
    return {"loss": F.cross_entropy(logits[mask], targets[mask]).item(),
            "token_accuracy": ((right & mask).sum() / mask.sum()).item(),
            "sequence_accuracy": right.all(1).float().mean().item()}


@torch.no_grad()
def predict(model: TinyTransformer, config: TransformerConfig, source: Sequence[int],
            head_mask: HeadMask = None) -> tuple[list[int], list[np.ndarray]]:
    """The model's answer to one encoded source (tasks.encode) and its attention weights: a (heads, P, P)
    float32 array per layer over the P positions the model saw (the source; for the decoder, source "=" answer
    less its last token, the answer written greedily)."""
    device = next(model.parameters()).device
    k = tasks.answer_length(config.task, len(source))
    x = torch.as_tensor([list(source)], device=device)  # (1, n)
    with ablated(model, head_mask):
        if config.architecture == "encoder":
            logits, attentions = model(x)
            answer = logits[0, -k:].argmax(-1)
        else:
            x = torch.cat([x, torch.full((1, 1), tasks.SEP, device=device)], dim=1)
            for _ in range(k):  # the last pass sees source "=" answer less its last token: the weights to show
                logits, attentions = model(x)
                x = torch.cat([x, logits[:, -1:].argmax(-1)], dim=1)
            answer = x[0, -k:]
    return answer.tolist(), [w[0].float().cpu().numpy() for w in attentions]


# -- the trainer -----------------------------------------------------------------------------------------
class TransformerTrainer:
    """The experiment as a runtime job (one step = CHUNK Adam iterations). Metrics: "loss", "token_accuracy",
    "sequence_accuracy" on the held-out set. Payload: "step", "iteration", "n_parameters", "task",
    "architecture", "vocabulary" (token texts by id), "chance" (token accuracy of a uniform guess), "example"
    ({"input", "target", "prediction"} texts, their "*_tokens" tuples, "positions" (the attention axes'
    token texts) and "correct"), "attention" (a (heads, P, P) float32 array per layer, for the example),
    "learning_rate" (as the optimizer has it), "batch_size", "sequence_accuracy" (held-out, all heads on),
    "head_accuracy" ((layers, heads): held-out sequence accuracy with that one head switched off) and
    "weights" (the state dict as float32 arrays, for `restore`)."""

    unit = "step"

    def __init__(self, config: TransformerConfig, device: torch.device | str | None = None) -> None:
        self.config = config
        self.device = torch.device(device or "cpu")
        self.model = build_model(config, self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.learning_rate)
        self.generator = torch.Generator().manual_seed(config.seed + 1)  # the training batches
        self.held_out = held_out(config)
        self.table = tasks.vocabulary(config.task, config.vocab)
        self.n_parameters = self.model.n_parameters
        self.steps = self.iteration = 0
        self.metrics: dict[str, float] = {}
        self._heads: tuple[int, float, np.ndarray] | None = None  # (step, time, head_accuracy) last computed

    # -- the Trainer protocol -------------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        c, model = self.config, self.model.train()
        for _ in range(CHUNK):
            inputs, targets, mask = tasks.make_batch(c.task, c.batch_size, c.length, c.vocab, self.generator, c.architecture)
            inputs, targets, mask = inputs.to(self.device), targets.to(self.device), mask.to(self.device)
            logits, _ = model(inputs)
            loss = F.cross_entropy(logits[mask], targets[mask])
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.iteration += 1
        self.steps += 1
        self.metrics = self.evaluate()
        return self.metrics

    def evaluate(self, head_mask: HeadMask = None) -> dict[str, float]:
        """Held-out loss, token and sequence accuracy as the model is now, with some heads switched off."""
        return evaluate(self.model.eval(), *self.held_out, head_mask)

    def predict(self, source: Sequence[int], head_mask: HeadMask = None) -> tuple[list[int], list[np.ndarray]]:
        return predict(self.model.eval(), self.config, source, head_mask)

    def apply(self, config: TransformerConfig, changed: frozenset[str]) -> None:
        self.config = config  # batch_size is read at every iteration
        for group in self.optimizer.param_groups:
            group["lr"] = config.learning_rate

    def snapshot(self) -> dict:
        c = self.config
        inputs, targets, mask = self.held_out
        n = c.length
        source, answer = inputs[0, :n].tolist(), targets[0][mask[0]].tolist()
        prediction, attention = self.predict(source)
        seen = tasks.layout(torch.as_tensor([source]), torch.as_tensor([prediction]), c.architecture)[0][0].tolist()
        example = {"input": tasks.decode(c.task, source, c.vocab), "target": tasks.decode(c.task, answer, c.vocab),
                   "prediction": tasks.decode(c.task, prediction, c.vocab), "input_tokens": tuple(source),
                   "target_tokens": tuple(answer), "prediction_tokens": tuple(prediction),
                   "positions": tuple(self.table[t] for t in seen), "correct": prediction == answer}
        return {"step": self.steps, "iteration": self.iteration, "n_parameters": self.n_parameters, "task": c.task,
                "architecture": c.architecture, "vocabulary": self.table, "chance": self.chance, "example": example,
                "attention": tuple(attention), "learning_rate": self.optimizer.param_groups[0]["lr"], "batch_size": c.batch_size,
                "sequence_accuracy": self.metrics.get("sequence_accuracy", 0.0), "head_accuracy": self.head_accuracy(),
                "weights": {k: v.detach().cpu().float().numpy().copy() for k, v in self.model.state_dict().items()}}

    def head_accuracy(self) -> np.ndarray:
        """(layers, heads): held-out sequence accuracy with only that head switched off. Recomputed when the
        model has changed, at most every HEADS_REFRESH_S seconds (a single step while paused refreshes it)."""
        now = time.perf_counter()
        if self._heads is None or (self._heads[0] != self.steps and now - self._heads[1] >= HEADS_REFRESH_S):
            c = self.config
            result = np.zeros((c.layers, c.heads), dtype=np.float32)
            for l in range(c.layers):
                for h in range(c.heads):
                    mask = [[1] * c.heads for _ in range(c.layers)]
                    mask[l][h] = 0
                    result[l, h] = self.evaluate(mask)["sequence_accuracy"]
            self._heads = (self.steps, now, result)
        return self._heads[2].copy()

    @property
    def chance(self) -> float:
        """Token accuracy of a uniform guess among the answer's possible tokens (brackets: n positions and the blank)."""
        return 1.0 / (self.config.length + 1 if self.config.task == "brackets" else self.config.vocab)

    def parameters_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for p in self.model.parameters())

    def divergence_hint(self) -> str:
        return (f"The learning rate {self.config.learning_rate:g} is too high for Adam on this transformer: "
                "reset and try a smaller one (1e-3 is safe).")


def run_until(config: TransformerConfig, target_sequence_accuracy: float = 0.99, max_seconds: float = 60.0,
              device: torch.device | str | None = None) -> tuple[float, int, dict[str, float]]:
    """Train until the held-out sequence accuracy reaches the target or time runs out (bench, tests).
    Returns (seconds, steps, the last metrics plus "iterations")."""
    trainer = TransformerTrainer(config, device)
    start = time.perf_counter()
    metrics = {"sequence_accuracy": 0.0}
    while metrics["sequence_accuracy"] < target_sequence_accuracy and time.perf_counter() - start < max_seconds:
        metrics = trainer.step()
        if not math.isfinite(metrics["loss"]):
            break
    return time.perf_counter() - start, trainer.steps, {**metrics, "iterations": float(trainer.iteration)}
