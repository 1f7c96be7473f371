"""Learning-rate schedules: the rate to use at a given epoch, from the base rate.

    constant      α0
    step          α0 · γ^⌊epoch / step_size⌋
    exponential   α0 · γ^epoch
    inverse_time  α0 / (1 + decay · epoch)
    cosine        α_min + ½ (α0 − α_min)(1 + cos(π · min(epoch, T) / T))
    warmup        α0 · min(1, (epoch + 1) / warmup_epochs), then constant
"""

from __future__ import annotations

import dataclasses
import math

SCHEDULES = ("constant", "step", "exponential", "inverse_time", "cosine", "warmup")
LABELS = {"constant": "constant", "step": "step decay", "exponential": "exponential decay",
          "inverse_time": "1/(1 + decay·epoch)", "cosine": "cosine", "warmup": "linear warm-up"}


@dataclasses.dataclass(frozen=True)
class ScheduleSpec:
    name: str = "constant"
    decay: float = 0.5  # γ for step and exponential (per step_size / per epoch), rate for inverse_time
    step_size: int = 100  # epochs between steps of "step"
    period: int = 500  # T of the cosine schedule, in epochs
    warmup_epochs: int = 50
    min_fraction: float = 0.0  # cosine's α_min as a fraction of α0


def learning_rate(spec: ScheduleSpec, base: float, epoch: int) -> float:
    name = spec.name
    if name == "constant":
        return base
    if name == "step":
        return base * spec.decay ** (epoch // spec.step_size)
    if name == "exponential":
        return base * spec.decay**epoch
    if name == "inverse_time":
        return base / (1.0 + spec.decay * epoch)
    if name == "cosine":
        low = base * spec.min_fraction
        return low + 0.5 * (base - low) * (1.0 + math.cos(math.pi * min(epoch, spec.period) / spec.period))
    if name == "warmup":
        return base * min(1.0, (epoch + 1) / spec.warmup_epochs)
    raise ValueError(f"unknown schedule {name!r}")
