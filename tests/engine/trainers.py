"""Small trainers for runtime tests. They live at module level so worker processes can import them."""

from __future__ import annotations

import dataclasses
import os
import time

import torch

from engine.config import Config, check_range


@dataclasses.dataclass(frozen=True)
class CounterConfig(Config):
    learning_rate: float = 0.1
    nan_at: int = 0  # return a NaN loss at this step (0: never)
    work_s: float = 0.0002  # busy time per step, so steps cost something measurable
    crash_at: int = 0  # kill the worker process at this step (0: never)
    seed: int = 0

    HOT = frozenset({"learning_rate"})

    def check(self) -> None:
        check_range("learning_rate", self.learning_rate, 0.0, 1e6)


class CounterTrainer:
    """Reports the learning rate it is using at every step, so a test can see exactly where a
    hot change landed."""

    unit = "step"

    def __init__(self, config: CounterConfig, device: torch.device) -> None:
        self.config = config
        self.n = 0
        self.n_parameters = 10

    def step(self) -> dict[str, float]:
        self.n += 1
        end = time.perf_counter() + self.config.work_s
        while time.perf_counter() < end:
            pass
        if self.config.crash_at and self.n >= self.config.crash_at:
            os._exit(3)
        loss = float("nan") if self.n == self.config.nan_at else 1.0 / self.n
        return {"loss": loss, "learning_rate": self.config.learning_rate}

    def apply(self, config: CounterConfig, changed: frozenset[str]) -> None:
        self.config = config

    def snapshot(self) -> dict[str, float]:
        return {"n": self.n}

    def divergence_hint(self) -> str:
        return "the counter was told to fail here."


class HugeTrainer(CounterTrainer):
    """Claims to be bigger than any server limit."""

    def __init__(self, config: CounterConfig, device: torch.device) -> None:
        super().__init__(config, device)
        self.n_parameters = 10**12


class ModulesProbe(CounterTrainer):
    """Reports which UI libraries are loaded in the worker process that runs it."""

    def snapshot(self) -> dict[str, tuple[str, ...]]:
        import sys

        return {"ui_modules": tuple(sorted(m for m in sys.modules if m.split(".")[0] in ("streamlit", "plotly")))}
