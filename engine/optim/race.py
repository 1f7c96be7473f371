"""The optimizer race: several optimizers descend the same 2-D surface from the same start.

Every racer runs one of the hand-written update rules of `engine.optimizers` (PyTorch's
conventions: momentum v ← βv + g, θ ← θ − ηv; ε outside the square root), or Newton's method
θ ← θ − η H⁻¹ g as a reference. One runtime step advances every racer by one update. Optional
Gaussian gradient noise (the same draws for every racer) mimics mini-batch gradients, and a
learning-rate schedule from `engine.schedules` can drive every racer's η.

A racer that overflows (or leaves for infinity, |θ| > 10⁶) stops where it was last finite with
"diverged at step N"; the others race on. `run_race` computes a whole race at once (the bench,
the sweep and the tests use it); `RaceTrainer` runs it live in the runtime.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine.config import Config, ConfigError, check_choice, check_range
from engine.optim.surfaces import SURFACES, Surface
from engine.optimizers import LABELS as OPTIMIZER_LABELS
from engine.optimizers import OPTIMIZERS, Optimizer, OptimizerSpec
from engine.schedules import SCHEDULES, ScheduleSpec, learning_rate

NEWTON = "newton"
RACE_OPTIMIZERS = (*OPTIMIZERS, NEWTON)
LABELS = {**OPTIMIZER_LABELS, NEWTON: "Newton"}
MAX_RACERS = 8
ESCAPE = 1e6  # |θ| beyond this counts as diverged (the saddle's way to −∞)
TOLERANCE = 1e-6  # "reached the minimum": f − f* below this
PAYLOAD_POINTS = 1000  # path points per racer sent to the page (evenly thinned beyond)

# a racer's settings: its name for one racer -> the config's tuple field holding one per racer
RACER_FIELDS = {"optimizer": "optimizers", "learning_rate": "learning_rates", "momentum": "momenta", "beta1": "beta1s",
                "beta2": "beta2s", "rho": "rhos", "eps": "epsilons", "weight_decay": "weight_decays",
                "bias_correction": "bias_corrections"}
PER_RACER = tuple(RACER_FIELDS.values())
RACER_DEFAULTS = {"optimizer": "sgd", "learning_rate": 0.01, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "rho": 0.99,
                  "eps": 1e-8, "weight_decay": 0.01, "bias_correction": True}


@dataclasses.dataclass(frozen=True)
class RaceConfig(Config):
    surface: str = "quadratic"
    condition: float = 50.0  # κ of the quadratic
    start_x: float = -4.0
    start_y: float = 2.0
    # one entry per racer
    optimizers: tuple[str, ...] = ("sgd", "momentum", "adam")
    learning_rates: tuple[float, ...] = (0.039, 0.01, 1.0)  # SGD just under its edge 2/κ = 0.04
    momenta: tuple[float, ...] = (0.9, 0.9, 0.9)  # β of momentum and Nesterov
    beta1s: tuple[float, ...] = (0.9, 0.9, 0.9)
    beta2s: tuple[float, ...] = (0.999, 0.999, 0.999)
    rhos: tuple[float, ...] = (0.99, 0.99, 0.99)  # RMSprop's ρ (PyTorch's α)
    epsilons: tuple[float, ...] = (1e-8, 1e-8, 1e-8)
    weight_decays: tuple[float, ...] = (0.01, 0.01, 0.01)  # AdamW's λ
    bias_corrections: tuple[bool, ...] = (True, True, True)
    # the race
    steps: int = 300
    noise: float = 0.0  # standard deviation of the Gaussian noise added to each gradient coordinate
    seed: int = 0
    schedule: str = "constant"
    schedule_decay: float = 0.5
    schedule_steps: int = 100  # step size, cosine period or warm-up length, by schedule

    HOT = frozenset({"steps"})

    @property
    def n_racers(self) -> int:
        return len(self.optimizers)

    def spec(self, i: int) -> OptimizerSpec:
        name = self.optimizers[i]
        return OptimizerSpec("sgd" if name == NEWTON else name, momentum=self.momenta[i], beta1=self.beta1s[i],
                             beta2=self.beta2s[i], rho=self.rhos[i], eps=self.epsilons[i], weight_decay=self.weight_decays[i],
                             bias_correction=self.bias_corrections[i])

    def schedule_spec(self) -> ScheduleSpec:
        n = self.schedule_steps
        return ScheduleSpec(self.schedule, decay=self.schedule_decay, step_size=n, period=n, warmup_epochs=n)

    def racer(self, i: int) -> dict[str, Any]:
        """Racer i's settings, by their one-racer names (`optimizer`, `learning_rate`, `beta1` …)."""
        return {one: getattr(self, many)[i] for one, many in RACER_FIELDS.items()}

    def with_racers(self, racers: Sequence[Mapping[str, Any]]) -> RaceConfig:
        """The same race with these racers; each a mapping of one-racer names, defaults for the rest."""
        unknown = {k for r in racers for k in r} - set(RACER_FIELDS)
        if unknown:
            raise ConfigError(f"unknown racer setting(s): {', '.join(sorted(unknown))}.")
        full = [RACER_DEFAULTS | dict(r) for r in racers]
        return self.replace(**{many: tuple(r[one] for r in full) for one, many in RACER_FIELDS.items()})

    def on_surface(self, surface: str) -> RaceConfig:
        """The same racers on another surface, from that surface's own start point."""
        x, y = SURFACES[surface].start if surface in SURFACES else (self.start_x, self.start_y)
        return self.replace(surface=surface, start_x=x, start_y=y)

    def label(self, i: int) -> str:
        name = self.optimizers[i]
        text = f"{LABELS[name]} η={self.learning_rates[i]:g}"
        if name in ("adam", "adamw") and not self.bias_corrections[i]:
            text += " (no bias corr.)"
        return text

    def check(self) -> None:
        check_choice("surface", self.surface, SURFACES)
        check_range("condition number κ", self.condition, 1.0, 1000.0)
        x0, x1, y0, y1 = SURFACES[self.surface].extent
        if not (x0 <= self.start_x <= x1 and y0 <= self.start_y <= y1):
            raise ConfigError(f"the start point must lie on the map: x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}].")
        n = self.n_racers
        if not 1 <= n <= MAX_RACERS:
            raise ConfigError(f"a race needs 1 to {MAX_RACERS} optimizers, not {n}.")
        for name in PER_RACER:
            if len(getattr(self, name)) != n:
                raise ConfigError(f"{name} needs one value per optimizer ({n}), not {len(getattr(self, name))}.")
        for i, name in enumerate(self.optimizers):
            check_choice("optimizer", name, RACE_OPTIMIZERS)
            who = f"{LABELS[name]} (racer {i + 1})"
            check_range(f"{who}: learning rate η", self.learning_rates[i], 1e-6, 100.0)
            check_range(f"{who}: momentum β", self.momenta[i], 0.0, 0.999)
            check_range(f"{who}: β1", self.beta1s[i], 0.0, 0.999)
            check_range(f"{who}: β2", self.beta2s[i], 0.0, 0.99999)
            check_range(f"{who}: ρ", self.rhos[i], 0.0, 0.9999)
            check_range(f"{who}: ε", self.epsilons[i], 1e-12, 1.0)
            check_range(f"{who}: weight decay λ", self.weight_decays[i], 0.0, 1.0)
        check_range("steps", self.steps, 1, 5000)
        check_range("gradient noise", self.noise, 0.0, 100.0)
        check_range("seed", self.seed, 0, 10**6)
        check_choice("schedule", self.schedule, SCHEDULES)
        check_range("schedule decay", self.schedule_decay, 1e-4, 1.0 if self.schedule in ("step", "exponential") else 100.0)
        check_range("schedule steps", self.schedule_steps, 1, 100_000)


class Racer:
    """One optimizer's state and path. `theta` has shape (..., 2): one point, or a batch of
    points (the sweep runs a whole row of learning rates at once, `lr` then has shape (n, 1))."""

    def __init__(self, config: RaceConfig, i: int, surface: Surface, lr: float | np.ndarray, batch: int | None = None) -> None:
        shape = (2,) if batch is None else (batch, 2)
        self.name = config.optimizers[i]
        self.surface, self.kappa = surface, config.condition
        self.base_lr = lr
        self.theta = np.broadcast_to(np.array([config.start_x, config.start_y], dtype=float), shape).copy()
        self.optimizer = Optimizer(config.spec(i), shape)
        self.noise = config.noise
        self.rng = np.random.default_rng(config.seed)  # the same noise draws for every racer

    def gradient(self) -> np.ndarray:
        g = np.stack(self.surface.grad(self.theta[..., 0], self.theta[..., 1], self.kappa), axis=-1)
        if self.noise:
            g = g + self.noise * self.rng.standard_normal(2)
        return g

    def step(self, lr: float | np.ndarray) -> None:
        g = self.gradient()
        if self.name == NEWTON:
            self.optimizer.t += 1
            h = self.surface.hessian(self.theta, self.kappa)
            det = h[..., 0, 0] * h[..., 1, 1] - h[..., 0, 1] * h[..., 1, 0]
            det = np.where(np.abs(det) < 1e-300, np.nan, det)  # a singular Hessian: no Newton step
            # H⁻¹ g for 2 × 2 matrices, written out (batched)
            step = np.stack([h[..., 1, 1] * g[..., 0] - h[..., 0, 1] * g[..., 1],
                             h[..., 0, 0] * g[..., 1] - h[..., 1, 0] * g[..., 0]], axis=-1) / det[..., None]
            self.theta -= np.asarray(lr) * step
        else:
            self.optimizer.step(self.theta, g, lr)

    def loss(self) -> np.ndarray:
        return self.surface.f(self.theta[..., 0], self.theta[..., 1], self.kappa)


def diverged(theta: np.ndarray, loss: np.ndarray) -> np.ndarray:
    return ~np.isfinite(loss) | ~np.isfinite(theta).all(axis=-1) | (np.abs(theta).max(axis=-1) > ESCAPE)


class RaceTrainer:
    """All racers, one update each per step, for the runtime."""

    unit = "step"

    def __init__(self, config: RaceConfig, device=None) -> None:
        self.config = config
        self.surface = SURFACES[config.surface]
        self.f_min = self.surface.minimum_value(config.condition)
        self.schedule = config.schedule_spec()
        n = config.n_racers
        self.racers = [Racer(config, i, self.surface, config.learning_rates[i]) for i in range(n)]
        self.t = 0
        start = np.array([config.start_x, config.start_y])
        self.paths = [[start.copy()] for _ in range(n)]
        self.losses = np.array([float(r.loss()) for r in self.racers])
        self.diverged_at = np.full(n, -1)
        self.reached_at = np.full(n, -1)  # first step with f − f* < TOLERANCE
        self.lr_now = np.array(config.learning_rates, dtype=float)
        self._note_reached()

    @property
    def done(self) -> bool:
        return self.t >= self.config.steps or bool((self.diverged_at >= 0).all())

    @property
    def done_reason(self) -> str:
        if (self.diverged_at >= 0).all():
            if not self.surface.bounded_below:
                return "Every optimizer has escaped towards −∞ (this surface has no minimum)."
            return "Every optimizer has diverged: try smaller learning rates."
        return f"Race finished: {self.t:,} steps."

    def step(self) -> dict[str, float]:
        self.t += 1
        metrics = {}
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for i, racer in enumerate(self.racers):
                if self.diverged_at[i] >= 0:
                    continue
                lr = learning_rate(self.schedule, racer.base_lr, self.t - 1)
                self.lr_now[i] = lr
                last = racer.theta.copy()
                racer.step(lr)
                loss = float(racer.loss())
                if diverged(racer.theta, np.asarray(loss)):
                    self.diverged_at[i] = self.t
                    racer.theta = last  # the last finite point is where the path ends
                    continue
                self.losses[i] = loss
                self.paths[i].append(racer.theta.copy())
                metrics[f"loss_{i}"] = loss
        self._note_reached()
        alive = [self.losses[i] for i in range(len(self.racers)) if self.diverged_at[i] < 0]
        metrics["loss"] = float(min(alive)) if alive else float(np.min(self.losses))
        return metrics

    def _note_reached(self) -> None:
        if self.f_min is None:
            return
        newly = (self.reached_at < 0) & (self.diverged_at < 0) & (self.losses - self.f_min < TOLERANCE)
        self.reached_at[newly] = self.t

    def apply(self, config: RaceConfig, changed: frozenset[str]) -> None:
        self.config = config  # only `steps` is hot: the race goes on to the new length

    def snapshot(self) -> dict:
        paths = []
        for path in self.paths:
            array = np.array(path)
            if len(array) > PAYLOAD_POINTS:
                keep = np.unique(np.linspace(0, len(array) - 1, PAYLOAD_POINTS).round().astype(int))
                array = array[keep]
            paths.append(array)
        return {
            "surface": self.surface.key,
            "condition": self.config.condition,
            "step": self.t,
            "steps": self.config.steps,
            "labels": tuple(self.config.label(i) for i in range(len(self.racers))),
            "optimizers": self.config.optimizers,
            "paths": tuple(paths),
            "positions": np.array([p[-1] for p in self.paths]),
            "losses": self.losses.copy(),
            "diverged_at": self.diverged_at.copy(),
            "reached_at": self.reached_at.copy(),
            "learning_rates_now": self.lr_now.copy(),
            "f_min": self.f_min,
        }


def run_race(config: RaceConfig) -> RaceTrainer:
    """The whole race at once (no runtime): the trainer after `config.steps` steps or when all diverged."""
    trainer = RaceTrainer(config)
    while not trainer.done:
        trainer.step()
    return trainer


def racer_config(config: RaceConfig, i: int) -> RaceConfig:
    """A one-racer race: racer i alone."""
    return config.with_racers([config.racer(i)])

