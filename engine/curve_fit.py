"""Warm-up experiment: a small MLP fits a 1-D curve from noisy samples, live.

The home page uses it to show the live-training runtime end to end (start, pause, step, a hot
learning-rate change marked on the loss curve), and the runtime's tests and benchmarks use it
as a small, real job. One step is one epoch of mini-batch training on the samples.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
from torch import nn

from engine.activations import ACTIVATIONS
from engine.config import Config, ConfigError, check_choice, check_range

TARGETS = {
    "sine": lambda x: np.sin(2.0 * x),
    "step": lambda x: np.where(x > 0, 1.0, -1.0),
    "abs": lambda x: np.abs(x) - 1.0,
    "cubic": lambda x: 0.5 * x**3 - x,
}
OPTIMIZERS = ("sgd", "adam")
X_RANGE = (-math.pi, math.pi)


@dataclasses.dataclass(frozen=True)
class CurveFitConfig(Config):
    target: str = "sine"
    n_points: int = 128
    noise: float = 0.1
    hidden: tuple[int, ...] = (16, 16)
    activation: str = "tanh"
    optimizer: str = "adam"
    learning_rate: float = 0.01
    batch_size: int = 32
    seed: int = 0

    HOT = frozenset({"learning_rate", "batch_size"})

    def check(self) -> None:
        check_choice("target", self.target, TARGETS)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_range("n_points", self.n_points, 8, 5000)
        check_range("noise", self.noise, 0.0, 2.0)
        check_range("learning_rate", self.learning_rate, 1e-6, 100.0)
        check_range("batch_size", self.batch_size, 1, self.n_points)
        if len(self.hidden) > 6:
            raise ConfigError("at most 6 hidden layers.")
        for width in self.hidden:
            check_range("hidden layer width", width, 1, 256)


def make_data(config: CurveFitConfig) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) samples of the target with Gaussian noise, reproducible from the seed."""
    rng = np.random.default_rng(config.seed)
    x = np.sort(rng.uniform(*X_RANGE, size=config.n_points))
    y = TARGETS[config.target](x) + config.noise * rng.standard_normal(config.n_points)
    return x.astype(np.float32), y.astype(np.float32)


def make_model(config: CurveFitConfig) -> nn.Sequential:
    layers: list[nn.Module] = []
    width_in = 1
    for width in config.hidden:
        layers += [nn.Linear(width_in, width), ACTIVATIONS[config.activation]()]
        width_in = width
    layers.append(nn.Linear(width_in, 1))
    return nn.Sequential(*layers)


class CurveFitTrainer:
    unit = "epoch"

    def __init__(self, config: CurveFitConfig, device: torch.device) -> None:
        torch.manual_seed(config.seed)
        self.config = config
        self.device = device
        x, y = make_data(config)
        self.x = torch.from_numpy(x).to(device).unsqueeze(1)  # (n, 1)
        self.y = torch.from_numpy(y).to(device).unsqueeze(1)  # (n, 1)
        self.grid = torch.linspace(*X_RANGE, 200, device=device).unsqueeze(1)  # (200, 1)
        self.model = make_model(config).to(device)
        self.n_parameters = sum(p.numel() for p in self.model.parameters())
        optimizer = torch.optim.Adam if config.optimizer == "adam" else torch.optim.SGD
        self.optimizer = optimizer(self.model.parameters(), lr=config.learning_rate)
        self.generator = torch.Generator().manual_seed(config.seed)

    def step(self) -> dict[str, float]:
        """One epoch of mini-batch training; returns the mean training loss (MSE)."""
        n, batch = len(self.x), self.config.batch_size
        order = torch.randperm(n, generator=self.generator).to(self.device)
        total = torch.zeros((), device=self.device)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            loss = nn.functional.mse_loss(self.model(self.x[idx]), self.y[idx])
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += loss.detach() * len(idx)
        return {"loss": float(total) / n}

    def apply(self, config: CurveFitConfig, changed: frozenset[str]) -> None:
        if "learning_rate" in changed:
            for group in self.optimizer.param_groups:
                group["lr"] = config.learning_rate
        self.config = config  # batch_size is read at every step

    def snapshot(self) -> dict[str, np.ndarray]:
        with torch.no_grad():
            prediction = self.model(self.grid)
        return {
            "x": self.grid.squeeze(1).cpu().numpy(),
            "prediction": prediction.squeeze(1).cpu().numpy(),
            "x_train": self.x.squeeze(1).cpu().numpy(),
            "y_train": self.y.squeeze(1).cpu().numpy(),
        }

    def parameters_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for p in self.model.parameters())

    def divergence_hint(self) -> str:
        return f"The learning rate {self.config.learning_rate:g} is too high for this network: reset and try a smaller one."
