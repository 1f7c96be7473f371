"""PlaygroundConfig: every setting of a Playground experiment, validated, in the URL.

Field names are the words used everywhere (widget keys, URL, snapshot, export). Learning rate,
batch size, regularisation and the schedule are hot: they change a running job and are marked
on its curves. Everything else rebuilds the network.
"""

from __future__ import annotations

import dataclasses
import math

from engine.activations import FUNCTIONS
from engine.config import Config, ConfigError, check_choice, check_range
from engine.data2d import DATASETS, MULTICLASS, REGRESSION
from engine.features import FEATURES
from engine.losses import LOSSES, REGRESSION_LOSSES, LossSpec
from engine.mlp import INITS, Architecture
from engine.optimizers import OPTIMIZERS, OptimizerSpec
from engine.schedules import SCHEDULES, ScheduleSpec

CUSTOM = "custom"  # the learner's own points (clicked or uploaded), kept in `points`
MAX_LAYERS, MAX_WIDTH = 8, 64
REGULARIZATIONS = ("none", "l1", "l2")


@dataclasses.dataclass(frozen=True)
class PlaygroundConfig(Config):
    # data
    dataset: str = "spiral"
    n_points: int = 500
    noise: float = 0.0
    train_ratio: float = 0.5
    imbalance: float = 1.0
    n_classes: int = 2
    data_seed: int = 0
    points: tuple[float, ...] = ()  # custom data: flattened (x1, x2, label) triples
    # input features
    features: tuple[str, ...] = ("x1", "x2")
    standardize: bool = False
    # network
    hidden: tuple[int, ...] = (4, 2)
    activations: tuple[str, ...] = ("tanh", "tanh")
    keep_probs: tuple[float, ...] = (1.0, 1.0)
    batch_norm: tuple[bool, ...] = (False, False)
    residual: bool = False
    init: str = "xavier"
    # training
    loss: str = "mse"
    huber_delta: float = 1.0
    focal_gamma: float = 2.0
    focal_alpha: float = 0.25
    focal_balance: bool = True
    optimizer: str = "sgd"
    learning_rate: float = 0.03
    momentum: float = 0.9
    weight_decay: float = 0.01
    batch_size: int = 10
    regularization: str = "none"
    regularization_rate: float = 0.0
    schedule: str = "constant"
    schedule_decay: float = 0.5
    schedule_epochs: int = 100  # step size, cosine period or warm-up length, by schedule
    seed: int = 0

    HOT = frozenset({"learning_rate", "batch_size", "regularization", "regularization_rate", "schedule",
                     "schedule_decay", "schedule_epochs"})

    # -- derived -----------------------------------------------------------------------------------
    @property
    def task(self) -> str:
        if self.dataset == CUSTOM:
            labels = self.points[2::3]
            return "classification" if labels and all(float(v).is_integer() and 0 <= v <= 4 for v in labels) else "regression"
        return "regression" if self.dataset in REGRESSION else "classification"

    @property
    def classes(self) -> int:
        """K for classification, 0 for regression."""
        if self.task == "regression":
            return 0
        if self.dataset == CUSTOM:
            return max(2, int(max(self.points[2::3])) + 1)
        return self.n_classes

    @property
    def n_train(self) -> int:
        n = len(self.points) // 3 if self.dataset == CUSTOM else self.n_points
        return max(1, round(n * self.train_ratio))

    def architecture(self) -> Architecture:
        k = self.classes
        outputs = k if k > 2 else 1
        return Architecture((len(self.features), *self.hidden, outputs), self.activations, self.batch_norm,
                            self.keep_probs, self.residual)

    def loss_spec(self) -> LossSpec:
        return LossSpec(self.loss, self.huber_delta, self.focal_gamma, self.focal_alpha, self.focal_balance)

    def optimizer_spec(self) -> OptimizerSpec:
        return OptimizerSpec(self.optimizer, momentum=self.momentum, weight_decay=self.weight_decay)

    def schedule_spec(self) -> ScheduleSpec:
        e = self.schedule_epochs
        return ScheduleSpec(self.schedule, decay=self.schedule_decay, step_size=e, period=e, warmup_epochs=e)

    # -- validation ------------------------------------------------------------------------------------
    def check(self) -> None:
        check_choice("dataset", self.dataset, (*DATASETS, CUSTOM))
        check_range("n_points", self.n_points, 10, 2000)
        check_range("noise", self.noise, 0.0, 1.0)
        check_range("train_ratio", self.train_ratio, 0.1, 0.9)
        check_range("imbalance", self.imbalance, 1.0, 100.0)
        check_range("n_classes", self.n_classes, 2, 5)
        check_range("data_seed", self.data_seed, 0, 10**6)
        check_range("seed", self.seed, 0, 10**6)
        if self.n_classes > 2 and self.dataset not in MULTICLASS:
            raise ConfigError(f"only {' and '.join(MULTICLASS)} have more than two classes.")
        self._check_points()
        if not self.features:
            raise ConfigError("choose at least one input feature.")
        for name in self.features:
            check_choice("feature", name, FEATURES)
        if len(set(self.features)) != len(self.features):
            raise ConfigError("each input feature can be used once.")
        self._check_network()
        self._check_training()

    def _check_points(self) -> None:
        if self.dataset != CUSTOM:
            return
        if len(self.points) % 3:
            raise ConfigError("custom points must be (x1, x2, label) triples.")
        if len(self.points) < 3 * 4:
            raise ConfigError("your own data needs at least 4 points: click on the plot to add some.")
        if len(self.points) > 3 * 5000:
            raise ConfigError("your own data can have at most 5000 points.")
        xy = [v for i, v in enumerate(self.points) if i % 3 != 2]
        if not all(math.isfinite(v) and abs(v) <= 1e6 for v in xy):
            raise ConfigError("every point needs finite coordinates within ±1,000,000.")
        if not all(math.isfinite(v) for v in self.points[2::3]):
            raise ConfigError("every point needs a finite label.")

    def _check_network(self) -> None:
        if len(self.hidden) > MAX_LAYERS:
            raise ConfigError(f"at most {MAX_LAYERS} hidden layers.")
        for width in self.hidden:
            check_range("neurons per layer", width, 1, MAX_WIDTH)
        for name, values in (("activations", self.activations), ("keep_probs", self.keep_probs), ("batch_norm", self.batch_norm)):
            if len(values) != len(self.hidden):
                raise ConfigError(f"{name} needs one value per hidden layer ({len(self.hidden)}), not {len(values)}.")
        for name in self.activations:
            check_choice("activation", name, FUNCTIONS)
        for keep in self.keep_probs:
            if not 0.05 <= keep <= 1.0:
                raise ConfigError(f"dropout keep_prob must be between 0.05 and 1, not {keep:g}.")
        check_choice("init", self.init, INITS)

    def _check_training(self) -> None:
        check_choice("loss", self.loss, LOSSES)
        if self.task == "regression" and self.loss not in REGRESSION_LOSSES:
            raise ConfigError(f"{self.loss} is a classification loss: use MSE, MAE or Huber for regression.")
        if self.loss == "bce" and self.classes > 2:
            raise ConfigError("binary cross-entropy is for two classes: use cross-entropy for more.")
        check_range("huber_delta", self.huber_delta, 1e-3, 100.0)
        check_range("focal_gamma", self.focal_gamma, 0.0, 10.0)
        check_range("focal_alpha", self.focal_alpha, 0.0, 1.0)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_range("learning_rate", self.learning_rate, 1e-5, 10.0)
        check_range("momentum", self.momentum, 0.0, 0.99)
        check_range("weight_decay", self.weight_decay, 0.0, 1.0)
        check_range("batch_size", self.batch_size, 1, 5000)
        if any(self.batch_norm) and (self.batch_size < 2 or self.n_train < 2):
            raise ConfigError("batch norm needs mini-batches of at least 2 points (it normalises over the batch).")
        check_choice("regularization", self.regularization, REGULARIZATIONS)
        check_range("regularization_rate", self.regularization_rate, 0.0, 10.0)
        check_choice("schedule", self.schedule, SCHEDULES)
        check_range("schedule_decay", self.schedule_decay, 1e-4, 1.0 if self.schedule in ("step", "exponential") else 100.0)
        check_range("schedule_epochs", self.schedule_epochs, 1, 100_000)
