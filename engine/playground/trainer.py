"""PlaygroundTrainer: trains a PlaygroundConfig live in the runtime, one epoch per step.

An epoch shuffles the training points and takes one optimizer step per mini-batch (250 points
at batch 10 = 25 iterations), then measures the train and test loss in eval mode (dropout off,
batch norm on its running statistics). It trains on the CPU in NumPy whatever the device: these
networks are so small that a GPU would only add kernel-launch latency (see engine/mlp.py).
"""

from __future__ import annotations

import collections
import math

import numpy as np
import torch

from engine.data2d import Dataset2D, make_dataset, split
from engine.features import Standardizer, feature_matrix
from engine.losses import loss_and_grad, probabilities
from engine.metrics import predict
from engine.mlp import MLP
from engine.optimizers import Optimizer
from engine.playground import views
from engine.playground.config import CUSTOM, PlaygroundConfig
from engine.schedules import learning_rate


def custom_dataset(config: PlaygroundConfig) -> Dataset2D:
    rows = np.asarray(config.points, dtype=float).reshape(-1, 3)
    labels = rows[:, 2].astype(np.int64) if config.task == "classification" else rows[:, 2]
    return Dataset2D(rows[:, :2].copy(), labels, config.task, config.classes)


def build_data(config: PlaygroundConfig) -> tuple[Dataset2D, Dataset2D]:
    """(train, test) for the config: generated from its seed, or the learner's own points."""
    if config.dataset == CUSTOM:
        data = custom_dataset(config)
    else:
        data = make_dataset(config.dataset, config.n_points, config.noise, config.data_seed, config.n_classes, config.imbalance)
    return split(data, config.train_ratio, config.data_seed)


class PlaygroundTrainer:
    unit = "epoch"

    def __init__(self, config: PlaygroundConfig, device: torch.device | None = None) -> None:
        self.config = config
        self.train, self.test = build_data(config)
        raw = feature_matrix(self.train.x, config.features)
        self.scaler = Standardizer.fit(raw) if config.standardize else Standardizer.identity(len(config.features))
        self.x_train = self.scaler(raw)
        self.x_test = self.scaler(feature_matrix(self.test.x, config.features))
        self.k = config.classes
        self.rng = np.random.default_rng(config.seed)
        self.net = MLP(config.architecture(), config.init, self.rng)
        self.optimizer = Optimizer(config.optimizer_spec(), self.net.theta.size)
        self.loss_spec = config.loss_spec()
        self.schedule = config.schedule_spec()
        self.n_parameters = self.net.n_parameters
        self.epoch = 0
        self.iteration = 0
        self.learning_rate_now = config.learning_rate
        self.recent: collections.deque[tuple[float, float]] = collections.deque(maxlen=200)
        self.best = (math.inf, 0)  # (test loss, epoch): where early stopping would have stopped
        self.grid = views.Grid(config.features, self.scaler)

    # -- the Trainer protocol ------------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        # Overflow is reported, not warned about: the runtime stops a job whose loss is not finite.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._epoch()

    def _epoch(self) -> dict[str, float]:
        config, net = self.config, self.net
        x, y = self.x_train, self.train.y
        n = len(x)
        batch = min(config.batch_size, n)
        lr = self.learning_rate_now = learning_rate(self.schedule, config.learning_rate, self.epoch)
        order = self.rng.permutation(n)
        batch_norm = any(config.batch_norm)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            if batch_norm and len(idx) < 2:
                continue  # batch norm cannot normalise one point (PyTorch refuses it too)
            z, cache = net.forward(x[idx], train=True, rng=self.rng)
            _, dz = loss_and_grad(self.loss_spec, z, y[idx], self.k)
            net.backward(cache, dz)
            net.add_penalty(config.regularization, config.regularization_rate, n)
            self.optimizer.step(net.theta, net.grad, lr)
            self.iteration += 1
        self.epoch += 1
        return self._measure()

    def evaluate(self) -> dict[str, float]:
        """Loss (and accuracy) on the training and test sets, in eval mode, as the network is now."""
        metrics = {}
        for prefix, x, y in (("", self.x_train, self.train.y), ("test_", self.x_test, self.test.y)):
            if len(x) == 0:
                continue
            z, _ = self.net.forward(x)
            metrics[prefix + "loss"], _ = loss_and_grad(self.loss_spec, z, y, self.k)
            if self.k:
                scores = probabilities(self.loss_spec, z, self.k)
                metrics[prefix + "accuracy"] = float((predict(scores) == y).mean())
        return metrics

    def _measure(self) -> dict[str, float]:
        metrics = {"learning_rate": self.learning_rate_now, **self.evaluate()}  # the rate as used this epoch
        for l, norm in enumerate(self.net.layer_grad_norms(), start=1):
            metrics[f"grad_norm_{l}"] = float(norm)
        test_loss = metrics.get("test_loss", metrics["loss"])
        self.recent.append((metrics["loss"], test_loss))
        if test_loss < self.best[0]:
            self.best = (test_loss, self.epoch)
        return metrics

    def apply(self, config: PlaygroundConfig, changed: frozenset[str]) -> None:
        self.config = config
        self.schedule = config.schedule_spec()

    def snapshot(self) -> dict:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return views.payload(self)

    def parameters_finite(self) -> bool:
        return bool(np.isfinite(self.net.theta).all())

    def divergence_hint(self) -> str:
        return (f"The learning rate {self.config.learning_rate:g} is too high for this network "
                "(or the gradients exploded): reset and try a smaller one.")
