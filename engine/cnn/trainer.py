"""CNNTrainer: the live CNN learns the generated shapes as a runtime job.

The training set is `make_shapes(train_size, seed=seed)`, reshuffled every epoch; the test set is
a fixed 1,000 images drawn from another seed (seed + 10,000), which `test_set` regenerates exactly,
so a snapshot names test images by index instead of sending them. Each runtime step is CHUNK
minibatch updates under the cross-entropy loss; on the first step and every EVALUATE_EVERY steps
after it the whole test set is classified in eval mode (batch norm on its running statistics).
Every step reports the latest test loss and accuracy, and a snapshot derives the confusion matrix,
per-class accuracy and the misclassified gallery from that pass's predictions. The snapshot also
carries the weights, so a page can `restore` the model in its own process for feature maps,
filters, probabilities and top-activating examples.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from engine.cnn.model import EVAL_BATCH, CNNConfig, ShapesCNN, build, first_layer_filters
from engine.cnn.shapes import CLASSES, make_shapes

CHUNK = 4  # minibatch updates per runtime step: about 30 ms on one core at the default size
EVALUATE_EVERY = 5  # steps between test passes (a pass over 1,000 images costs about two steps' time)
TEST_SIZE = 1000
TEST_SEED_OFFSET = 10_000  # the test set's seed is config.seed + this: no image is shared with the training set
GALLERY = 24  # misclassified test images listed in a snapshot, most confident first
MOMENTUM = 0.9  # of "sgd_momentum"


def train_set(config: CNNConfig) -> tuple[np.ndarray, np.ndarray]:
    """(images (train_size, 3, S, S) float32, labels (train_size,) int64): the training set the trainer uses."""
    return make_shapes(config.train_size, config.image_size, seed=config.seed, noise=config.noise)


def test_set(config: CNNConfig) -> tuple[np.ndarray, np.ndarray]:
    """(images (1000, 3, S, S) float32, labels (1000,) int64): the held-out set, exactly as the trainer has it."""
    return make_shapes(TEST_SIZE, config.image_size, seed=config.seed + TEST_SEED_OFFSET, noise=config.noise)


def make_optimizer(config: CNNConfig, model: ShapesCNN) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    momentum = MOMENTUM if config.optimizer == "sgd_momentum" else 0.0
    return torch.optim.SGD(model.parameters(), lr=config.learning_rate, momentum=momentum)


class CNNTrainer:
    """The experiment as a runtime job (one step = CHUNK minibatch updates). Metrics: "loss" and "train_accuracy"
    (the chunk's minibatches, as trained), "test_loss" and "test_accuracy" (the last test pass), "epoch" (fractional).
    Payload: "step", "iteration", "epoch", "n_parameters", "classes", "chance", "test_size", "evaluated_step" (the
    step of the last test pass, which the next five entries describe), "test_loss", "test_accuracy", "confusion"
    ((classes, classes) int64 on the test set, rows = true class), "per_class_accuracy" ((classes,) float32),
    "misclassified" (up to GALLERY dicts {"index", "true", "predicted", "confidence"}, most confident first; index
    into `test_set`), "first_filters" ((c_out, 3, f, f) float32), "learning_rate", "batch_size" and "weights" (the
    state dict as float32 arrays, for `restore`)."""

    unit = "step"

    def __init__(self, config: CNNConfig, device: torch.device | str | None = None) -> None:
        self.config = config
        self.device = torch.device(device or "cpu")
        x, y = train_set(config)
        self.x, self.y = torch.from_numpy(x).to(self.device), torch.from_numpy(y).to(self.device)
        x, self.test_labels = test_set(config)
        self.test_x, self.test_y = torch.from_numpy(x).to(self.device), torch.from_numpy(self.test_labels).to(self.device)
        self.model = build(config, self.device)
        self.optimizer = make_optimizer(config, self.model)
        self.n_parameters = self.model.n_parameters
        self.generator = torch.Generator().manual_seed(config.seed + 1)  # the order of the training images
        self._order, self._cursor = torch.empty(0, dtype=torch.int64), 0  # this epoch's order of the training images
        self.steps = self.iteration = self.seen = 0
        self.metrics: dict[str, float] = {}
        # the last test pass: its step, loss and accuracy, and each test image's predicted class and its probability
        self.evaluated_step, self.test_loss, self.test_accuracy = 0, math.log(len(CLASSES)), 0.0
        self._predicted = np.zeros(TEST_SIZE, dtype=np.int64)
        self._confidence = np.zeros(TEST_SIZE, dtype=np.float32)
        self.test_loss, self.test_accuracy = self.evaluate()  # the untrained model's scores: the view at step 0 is true

    # -- training -----------------------------------------------------------------------------------------
    def _batch(self, size: int) -> torch.Tensor:
        """The next `size` indices of the current epoch's order; a new epoch starts in a fresh order when it runs
        out (so its last batch may be shorter)."""
        if self._cursor >= len(self._order):
            self._order, self._cursor = torch.randperm(len(self.y), generator=self.generator).to(self.device), 0
        idx = self._order[self._cursor:self._cursor + size]
        self._cursor += size
        return idx

    def step(self) -> dict[str, float]:
        model = self.model.train()
        total_loss = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device)
        count = 0
        for _ in range(CHUNK):
            idx = self._batch(self.config.batch_size)
            logits = model(self.x[idx])  # (B, classes)
            target = self.y[idx]
            loss = F.cross_entropy(logits, target)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total_loss += loss.detach() * len(idx)
            correct += (logits.detach().argmax(-1) == target).sum()
            count += len(idx)
            self.iteration += 1
        self.seen += count
        self.steps += 1
        if self.steps - self.evaluated_step >= EVALUATE_EVERY or self.steps == 1:  # step 1: the first change shows at once
            self.test_loss, self.test_accuracy = self.evaluate()
        self.metrics = {"loss": total_loss.item() / count, "train_accuracy": correct.item() / count,
                        "test_loss": self.test_loss, "test_accuracy": self.test_accuracy, "epoch": self.seen / len(self.y)}
        return self.metrics

    @torch.no_grad()
    def evaluate(self) -> tuple[float, float]:
        """(loss, accuracy) on the test set in eval mode; keeps each image's prediction for the snapshot."""
        self.evaluated_step = self.steps
        model = self.model.eval()
        logits = torch.cat([model(self.test_x[i:i + EVAL_BATCH]) for i in range(0, TEST_SIZE, EVAL_BATCH)])  # (TEST_SIZE, classes)
        loss = F.cross_entropy(logits, self.test_y)
        confidence, predicted = logits.softmax(-1).max(-1)
        self._predicted, self._confidence = predicted.cpu().numpy(), confidence.float().cpu().numpy()
        return loss.item(), float((self._predicted == self.test_labels).mean())

    def apply(self, config: CNNConfig, changed: frozenset[str]) -> None:
        self.config = config  # batch_size is read at every minibatch
        for group in self.optimizer.param_groups:
            group["lr"] = config.learning_rate

    # -- the view -----------------------------------------------------------------------------------------
    def snapshot(self) -> dict:
        c, k = self.config, len(CLASSES)
        true = self.test_labels
        confusion = np.bincount(true * k + self._predicted, minlength=k * k).reshape(k, k)  # rows: true class
        per_class = np.diag(confusion) / np.maximum(confusion.sum(1), 1)
        wrong = np.flatnonzero(self._predicted != true)
        wrong = wrong[np.argsort(-self._confidence[wrong], kind="stable")][:GALLERY]
        misclassified = [{"index": int(i), "true": int(true[i]), "predicted": int(self._predicted[i]),
                          "confidence": float(self._confidence[i])} for i in wrong]
        return {"step": self.steps, "iteration": self.iteration, "epoch": self.seen / len(self.y), "n_parameters": self.n_parameters,
                "classes": CLASSES, "chance": 1.0 / k, "test_size": TEST_SIZE,
                "evaluated_step": self.evaluated_step, "test_loss": self.test_loss, "test_accuracy": self.test_accuracy,
                "confusion": confusion.astype(np.int64), "per_class_accuracy": per_class.astype(np.float32),
                "misclassified": misclassified, "first_filters": first_layer_filters(self.model),
                "learning_rate": self.optimizer.param_groups[0]["lr"], "batch_size": c.batch_size,
                "weights": {name: v.detach().cpu().float().numpy().copy() for name, v in self.model.state_dict().items()}}

    # -- health ---------------------------------------------------------------------------------------------
    def parameters_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for p in self.model.parameters())

    def divergence_hint(self) -> str:
        c = self.config
        if c.optimizer == "adam":
            return f"The learning rate {c.learning_rate:g} is too high for Adam on this CNN: reset and try 1e-3 to 3e-3."
        advice = "" if c.batch_norm else " Batch norm also makes larger steps safe."
        name = "SGD with momentum" if c.optimizer == "sgd_momentum" else "plain SGD"
        return f"The learning rate {c.learning_rate:g} is too high for {name} on this CNN: reset and try 0.01 to 0.1.{advice}"


def run_until(config: CNNConfig, target_accuracy: float = 0.9, max_seconds: float = 60.0,
              device: torch.device | str | None = None) -> tuple[float, CNNTrainer, list[tuple[float, dict[str, float]]]]:
    """Build a trainer and step it until the test accuracy reaches the target or time runs out (bench, tests).
    Returns (seconds from construction, the trainer, [(seconds, metrics)] per step)."""
    start = time.perf_counter()
    trainer = CNNTrainer(config, device)
    curve: list[tuple[float, dict[str, float]]] = []
    metrics = {"test_accuracy": 0.0}
    while metrics["test_accuracy"] < target_accuracy and time.perf_counter() - start < max_seconds:
        metrics = trainer.step()
        curve.append((time.perf_counter() - start, metrics))
        if not math.isfinite(metrics["loss"]):
            break
    return time.perf_counter() - start, trainer, curve
