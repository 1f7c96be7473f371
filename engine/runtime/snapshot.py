"""What a running job publishes: an immutable Snapshot, plus the bounded metric History behind it.

A Snapshot is the only thing a page ever sees of a job: plain numbers and read-only NumPy
arrays, never live tensors. Histories keep at most `capacity` points per metric however long a
run lasts: when full they drop every other point and record half as often from then on, so a
long run is down-sampled evenly over its whole length instead of growing without bound.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np


class JobState(enum.StrEnum):
    PAUSED = "paused"
    RUNNING = "running"
    DONE = "done"  # stopped by the learner, or reached its step budget
    FAILED = "failed"  # non-finite loss or parameters, or an error in the trainer
    RELEASED = "released"  # freed after nobody looked at it for a long time

    @property
    def is_terminal(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.RELEASED)


@dataclasses.dataclass(frozen=True)
class Event:
    """A change applied to a running job, and the step at which it took effect."""

    step: int
    name: str  # e.g. "learning_rate", "pause", "reset"
    old: Any = None
    new: Any = None

    @property
    def label(self) -> str:
        if self.old is None and self.new is None:
            return self.name
        return f"{self.name}: {self.old} → {self.new}"


class History:
    """Per-metric (step, value) series, bounded by down-sampling (lives in the worker)."""

    def __init__(self, capacity: int = 2000) -> None:
        if capacity < 4:
            raise ValueError("capacity must be at least 4")
        self.capacity = capacity
        self._series: dict[str, tuple[list[int], list[float], list[int]]] = {}  # steps, values, [stride]
        self._last: dict[str, tuple[int, float]] = {}  # the newest point, kept even when not sampled

    def record(self, step: int, metrics: Mapping[str, float]) -> None:
        for name, value in metrics.items():
            self._last[name] = (step, float(value))
            series = self._series.get(name)
            if series is None:
                series = self._series[name] = ([], [], [1])
            steps, values, stride = series
            if steps and step - steps[-1] < stride[0]:
                continue  # between recorded points at the current resolution
            steps.append(step)
            values.append(float(value))
            if len(steps) > self.capacity:
                del steps[1::2], values[1::2]
                stride[0] *= 2

    def clear(self) -> None:
        self._series.clear()
        self._last.clear()

    def arrays(self) -> dict[str, np.ndarray]:
        """Each metric as a (2, n) float array (row 0 steps, row 1 values), ending at the newest point."""
        out = {}
        for name, (steps, values, _) in self._series.items():
            last_step, last_value = self._last[name]
            if steps[-1] != last_step:
                steps, values = steps + [last_step], values + [last_value]
            out[name] = np.array([steps, values], dtype=float)
        return out


def _freeze(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value = value.view()
        value.flags.writeable = False
        return value
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, MappingProxyType):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):  # a frozen list may hold frozen dicts (a gallery of records)
        return tuple(_thaw(v) for v in value)
    return value


@dataclasses.dataclass(frozen=True)
class Snapshot:
    run_id: str
    state: JobState
    step: int
    history: Mapping[str, np.ndarray]  # metric -> (2, n) array of steps and values
    payload: Mapping[str, Any]  # the trainer's latest visuals (plain data)
    events: tuple[Event, ...] = ()
    reason: str = ""  # why the job paused, stopped or failed, in plain words
    steps_per_s: float = 0.0
    created_at: float = dataclasses.field(default_factory=time.time)

    def __post_init__(self) -> None:
        object.__setattr__(self, "history", _freeze(self.history))
        object.__setattr__(self, "payload", _freeze(self.payload))
        object.__setattr__(self, "events", tuple(self.events))

    def __reduce__(self):  # MappingProxyType does not pickle: send plain dicts, refreeze on arrival
        values = {f.name: _thaw(getattr(self, f.name)) for f in dataclasses.fields(self)}
        return (_rebuild, (values,))

    def metric(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of one metric; empty arrays when it was never recorded."""
        series = self.history.get(name)
        if series is None:
            return np.empty(0), np.empty(0)
        return series[0], series[1]

    def latest(self, name: str, default: float = float("nan")) -> float:
        _, values = self.metric(name)
        return float(values[-1]) if len(values) else default


def _rebuild(values: dict[str, Any]) -> Snapshot:
    return Snapshot(**values)
