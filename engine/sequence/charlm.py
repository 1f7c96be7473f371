"""CharLMTrainer: a character-level language model (RNN, GRU or LSTM) learns a corpus live.

Training draws `batch_size` random windows of `seq_length` characters (plus the next character
after each, the targets) and walks each window in chunks of `bptt` steps: truncated
back-propagation through time. The hidden state is carried from one chunk to the next, so the
model reads the whole window, but it is detached between chunks, so the gradient of a chunk's loss
stops at the chunk's start; each chunk is one optimizer update. bptt = seq_length is full BPTT
over the window. Every window starts from a zero state. The loss is the cross-entropy of the next
character in nats per character; perplexity = exp(loss), the effective number of equally likely
characters the model is choosing between (the vocabulary size for a uniform guess).

Before each update the gradient norm ‖g‖ over all parameters is measured; with clip > 0 a larger
one is rescaled to length `clip`. A non-finite loss or gradient norm is reported as it is, so the
runtime stops the job with a reason (and `divergence_hint` says why recurrent nets explode).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from engine.config import Config, ConfigError, check_choice, check_range
from engine.sequence.cells import CELLS, SequenceModel, State
from engine.sequence.corpus import CORPORA, CorpusError, Prepared, load_corpus, prepare_text

CORPUS_CHOICES = (*CORPORA, "custom")
OPTIMIZERS = ("adam", "sgd", "momentum", "rmsprop")
WINDOWS_PER_STEP = 2  # batches of windows per runtime step (each is seq_length / bptt updates)
SAMPLE_EVERY_S = 2.5  # regenerate the live samples at most this often
NAME_SAMPLES, TEXT_SAMPLES = 6, 3
MAX_NAME_LENGTH, TEXT_SAMPLE_LENGTH = 40, 160


@dataclasses.dataclass(frozen=True)
class CharLMConfig(Config):
    corpus: str = "dinosaurs"  # a bundled corpus, or "custom" for `text`
    text: str = ""  # the learner's own text (corpus = "custom")
    cell: str = "lstm"
    hidden: int = 128
    layers: int = 1
    seq_length: int = 32  # characters per training window
    bptt: int = 32  # truncated BPTT: the gradient flows back at most this many steps (≤ seq_length)
    clip: float = 1.0  # gradient-norm clipping threshold; 0 = no clipping
    optimizer: str = "adam"
    learning_rate: float = 3e-3
    batch_size: int = 32
    w_h_scale: float = 1.0  # multiplies the recurrent weights W_h at initialisation (large: exploding gradients)
    temperature: float = 0.8  # for the live samples
    seed: int = 0

    HOT = frozenset({"learning_rate", "clip", "temperature"})

    def check(self) -> None:
        check_choice("corpus", self.corpus, CORPUS_CHOICES)
        check_choice("cell", self.cell, tuple(CELLS))
        check_range("hidden", self.hidden, 8, 512)
        check_range("layers", self.layers, 1, 3)
        check_range("seq_length", self.seq_length, 4, 256)
        check_range("bptt", self.bptt, 1, 256)
        if self.bptt > self.seq_length:
            raise ConfigError(f"bptt ({self.bptt}) cannot be longer than seq_length ({self.seq_length}): it is how far back "
                              "the gradient flows inside one training window.")
        check_range("clip", self.clip, 0, 100)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_range("learning_rate", self.learning_rate, 1e-4, 2.0)
        check_range("batch_size", self.batch_size, 1, 256)
        check_range("w_h_scale", self.w_h_scale, 0.1, 20)
        check_range("temperature", self.temperature, 0.05, 3)
        check_range("seed", self.seed, 0, 10**6)
        if self.corpus == "custom":
            problem = _custom_problem(self.text, self.seq_length)
            if problem:
                raise ConfigError(problem)


@functools.lru_cache(maxsize=8)
def _custom_problem(text: str, seq_length: int) -> str | None:
    """Why a pasted text cannot be trained on, or None (cached: configs are re-created on every page run)."""
    try:
        prepare_text(text, seq_length)
    except CorpusError as exc:
        return str(exc)[0].upper() + str(exc)[1:]
    return None


# -- data --------------------------------------------------------------------------------------------------
def prepare(config: CharLMConfig) -> Prepared:
    """The config's text, cleaned and encoded. A names corpus is shuffled with a fixed seed: its file is
    alphabetical, and a window spanning several names would otherwise learn that neighbours share a letter."""
    if config.corpus == "custom":
        return prepare_text(config.text, config.seq_length)
    text = load_corpus(config.corpus)
    if CORPORA[config.corpus].names:
        lines = text.splitlines()
        text = "\n".join(lines[i] for i in np.random.default_rng(0).permutation(len(lines))) + "\n"
    return prepare_text(text, config.seq_length, names=CORPORA[config.corpus].names)


def windows(ids: torch.Tensor, batch_size: int, seq_length: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows: (inputs (B, T), targets (B, T)), the targets being the inputs shifted by one character."""
    starts = torch.randint(len(ids) - seq_length, (batch_size, 1), generator=generator)  # the last start leaves room for T + 1
    chunk = ids[starts + torch.arange(seq_length + 1)]  # (B, T + 1)
    return chunk[:, :-1], chunk[:, 1:]


def bptt_chunks(model: SequenceModel, inputs: torch.Tensor, bptt: int,
                state: list[State] | None = None) -> Iterator[tuple[int, torch.Tensor, list[State]]]:
    """Truncated BPTT: (start, logits (B, ≤bptt, V), state) per chunk; the state entering each chunk is
    detached, so a chunk's loss sends no gradient into earlier chunks (or their inputs)."""
    for start in range(0, inputs.shape[1], bptt):
        if state is not None:
            state = [tuple(s.detach() for s in layer) if isinstance(layer, tuple) else layer.detach() for layer in state]
        logits, state = model(inputs[:, start:start + bptt], state)
        yield start, logits, state


# -- the model -----------------------------------------------------------------------------------------------
def build_model(config: CharLMConfig, vocab_size: int, device: torch.device | str | None = None) -> SequenceModel:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = SequenceModel(vocab_size, config.cell, config.hidden, config.layers, init_scale=config.w_h_scale)
    return model.to(device)


def restore(config: CharLMConfig, weights: Mapping[str, np.ndarray], device: torch.device | str | None = None) -> SequenceModel:
    """A model with the weights from a snapshot's payload["weights"], in eval mode."""
    model = build_model(config, int(np.shape(weights["head.weight"])[0]), device)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
    return model.eval()


def start_symbol(vocab: Sequence[str]) -> str:
    """What generation is primed with: a newline (the start of a name or line) if the text has one."""
    return "\n" if "\n" in vocab else " " if " " in vocab else vocab[0]


@torch.no_grad()
def sample(model: SequenceModel, vocab: Sequence[str], n_chars: int, temperature: float = 1.0, top_k: int = 0,
           greedy: bool = False, prefix: str = "", seed: int | None = None, stop_at_newline: bool = False) -> str:
    """prefix + up to n_chars generated characters. Each is drawn from softmax(logits / temperature),
    restricted to the top_k most likely if top_k > 0, or is the argmax if greedy. The model is primed
    with start_symbol(vocab) + prefix (the start symbol is not returned); with stop_at_newline,
    generation ends at a newline (not returned): a names model writes one name."""
    if temperature <= 0 and not greedy:
        raise ValueError("temperature must be positive (use greedy for the argmax).")
    index = {c: i for i, c in enumerate(vocab)}
    unknown = sorted({c for c in prefix if c not in index})
    if unknown:
        raise CorpusError(f"the prefix has characters the model never saw: {', '.join(repr(c) for c in unknown[:8])}.")
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator()
    if seed is None:
        generator.seed()  # a fresh random seed, leaving the global generator alone
    else:
        generator.manual_seed(seed)
    primer = torch.tensor([[index[c] for c in start_symbol(vocab) + prefix]], device=device)  # (1, P)
    logits, state = model(primer)
    out = []
    for _ in range(n_chars):
        scores = logits[0, -1].float().cpu()  # (V,)
        if greedy:
            nxt = int(scores.argmax())
        else:
            scores = scores / temperature
            if 0 < top_k < len(scores):
                scores[scores < scores.topk(top_k).values[-1]] = -math.inf
            nxt = int(torch.multinomial(torch.softmax(scores, -1), 1, generator=generator))
        if stop_at_newline and vocab[nxt] == "\n":
            break
        out.append(vocab[nxt])
        logits, state = model(torch.tensor([[nxt]], device=device), state)
    return prefix + "".join(out)


# -- the trainer ---------------------------------------------------------------------------------------------
class CharLMTrainer:
    """The experiment as a runtime job (one step = WINDOWS_PER_STEP batches of windows, each seq_length / bptt
    updates). Metrics: "loss" (nats per character, mean over the step), "perplexity", "grad_norm" (the largest
    gradient norm of the step, before clipping) and "clipped" (the fraction of the step's updates that were
    clipped). Payload: "step", "updates", "characters" (trained on), "n_parameters", "vocabulary", "names",
    "notes" (about the text: capped, placeholder), "samples" (generated strings), "samples_temperature",
    "samples_update" (the update they were generated at), "learning_rate", "clip", "loss", "perplexity",
    "uniform_perplexity" (= vocabulary size) and "weights" (the state dict as float32 arrays, for `restore`)."""

    unit = "step"

    def __init__(self, config: CharLMConfig, device: torch.device | str | None = None) -> None:
        self.config = config
        self.device = torch.device(device or "cpu")
        self.data = prepare(config)
        self.ids = torch.as_tensor(self.data.ids)
        self.model = build_model(config, self.data.vocab_size, self.device)
        self.optimizer = make_optimizer(config, self.model)
        self.generator = torch.Generator().manual_seed(config.seed + 1)  # the training windows
        self.n_parameters = self.model.n_parameters
        self.steps = self.updates = self.characters = 0
        self.metrics: dict[str, float] = {}
        self._samples: tuple[float, int, tuple[str, ...], float] | None = None  # (time, update, samples, temperature)

    def step(self) -> dict[str, float]:
        c, model = self.config, self.model.train()
        total, count, norms, clipped = 0.0, 0, [], 0
        for _ in range(WINDOWS_PER_STEP):
            inputs, targets = windows(self.ids, c.batch_size, c.seq_length, self.generator)
            inputs, targets = inputs.to(self.device), targets.to(self.device)
            for start, logits, _ in bptt_chunks(model, inputs, c.bptt):
                target = targets[:, start:start + logits.shape[1]]
                loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
                norm = self.update(loss)
                total, count = total + loss.item() * target.numel(), count + target.numel()
                norms.append(norm)
                clipped += c.clip > 0 and norm > c.clip
                if not (math.isfinite(loss.item()) and math.isfinite(norm)):
                    return self._finish(total / count, max(norms), clipped / len(norms))
        self.characters += count
        return self._finish(total / count, max(norms), clipped / len(norms))

    def update(self, loss: torch.Tensor) -> float:
        """One optimizer update from loss; returns the gradient norm before clipping. A non-finite loss or norm
        skips the update (the parameters stay finite; the metric reports the blow-up)."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        params = [p for p in self.model.parameters() if p.grad is not None]
        norm = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params])))
        if not (math.isfinite(norm) and math.isfinite(loss.item())):
            return norm if not math.isfinite(norm) else math.nan
        if self.config.clip > 0 and norm > self.config.clip:
            for p in params:
                p.grad.mul_(self.config.clip / norm)  # the same direction, length clip
        self.optimizer.step()
        self.updates += 1
        return norm

    def _finish(self, loss: float, grad_norm: float, clipped: float) -> dict[str, float]:
        self.steps += 1
        perplexity = math.exp(loss) if loss < 700 else math.inf
        self.metrics = {"loss": loss, "perplexity": perplexity, "grad_norm": grad_norm, "clipped": clipped}
        return self.metrics

    def apply(self, config: CharLMConfig, changed: frozenset[str]) -> None:
        self.config = config  # clip and temperature are read where they are used
        for group in self.optimizer.param_groups:
            group["lr"] = config.learning_rate

    def samples(self) -> tuple[tuple[str, ...], float, int]:
        """(samples, temperature, update): regenerated when the model or temperature has changed, at most every SAMPLE_EVERY_S."""
        now, t = time.perf_counter(), self.config.temperature
        old = self._samples
        if old is None or ((old[1] != self.updates or old[3] != t) and now - old[0] >= SAMPLE_EVERY_S):
            names, seed = self.data.names, self.config.seed * 7919 + self.updates
            count, length = (NAME_SAMPLES, MAX_NAME_LENGTH) if names else (TEXT_SAMPLES, TEXT_SAMPLE_LENGTH)
            texts = tuple(sample(self.model, self.data.vocab, length, t, seed=seed + i, stop_at_newline=names) for i in range(count))
            self._samples = (now, self.updates, texts, t)
        return self._samples[2], self._samples[3], self._samples[1]

    def snapshot(self) -> dict:
        texts, temperature, at = self.samples()
        return {"step": self.steps, "updates": self.updates, "characters": self.characters, "n_parameters": self.n_parameters,
                "vocabulary": self.data.vocab, "names": self.data.names, "notes": self.data.notes, "samples": texts,
                "samples_temperature": temperature, "samples_update": at, "learning_rate": self.optimizer.param_groups[0]["lr"],
                "clip": self.config.clip, "loss": self.metrics.get("loss", math.nan),
                "perplexity": self.metrics.get("perplexity", math.nan), "uniform_perplexity": float(self.data.vocab_size),
                "weights": {k: v.detach().cpu().float().numpy().copy() for k, v in self.model.state_dict().items()}}

    def parameters_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for p in self.model.parameters())

    def divergence_hint(self) -> str:
        c = self.config
        cause = f"the recurrent weights start {c.w_h_scale:g}× larger than usual, and " if c.w_h_scale > 1 else ""
        fix = ("Turn on gradient clipping (clip = 1) and reset." if c.clip == 0 else
               f"Clipping at {c.clip:g} bounds each step but cannot rescale an infinite gradient: reset with a smaller "
               "learning rate or w_h_scale.")
        return (f"The gradients exploded: {cause}the gradient through time is a product of one Jacobian per step, so it can "
                f"grow exponentially with the sequence length. {fix}")


def make_optimizer(config: CharLMConfig, model: SequenceModel) -> torch.optim.Optimizer:
    params, lr = model.parameters(), config.learning_rate
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.SGD(params, lr=lr, momentum=0.9 if config.optimizer == "momentum" else 0.0)


def train_for(config: CharLMConfig, seconds: float,
              device: torch.device | str | None = None) -> tuple[CharLMTrainer, list[dict[str, float]]]:
    """Train for a wall-clock budget (bench, tests); returns the trainer and every step's metrics."""
    trainer, history = CharLMTrainer(config, device), []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        history.append(trainer.step())
        if not math.isfinite(sum(history[-1].values())):
            break
    return trainer, history
