"""A Job: one trainer inside a worker process, advanced in time slices, watched for divergence.

The `Trainer` protocol is all an experiment implements to run live: `step()` makes one unit of
progress (an epoch, an iteration, an optimizer step — the trainer says which in `unit`) and
returns its metrics, `snapshot()` returns the latest visuals as plain data, and `apply()` takes
hot config changes. The Job around it owns what is common to every experiment: the step count,
the bounded metric history, the event log, step budgets, a rate cap, and the rule that a
non-finite loss or parameter stops the job with a reason a learner can read.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
import traceback
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import torch

from engine.config import Config
from engine.runtime.snapshot import Event, History, JobState, Snapshot

log = logging.getLogger(__name__)


@runtime_checkable
class Trainer(Protocol):
    """What an experiment implements to run in the runtime. Optional extras, read with getattr:
    `unit` ("step"), `n_parameters` (checked against the size limit), `done` and `done_reason`
    (the trainer finished by itself), `divergence_hint()` (why a loss may have blown up),
    `parameters_finite()` (checked after every slice)."""

    def __init__(self, config: Any, device: torch.device) -> None: ...

    def step(self) -> Mapping[str, float]: ...

    def snapshot(self) -> Mapping[str, Any]: ...

    def apply(self, config: Any, changed: frozenset[str]) -> None: ...


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """Everything a worker needs to build a job; pickled to the worker, so the trainer class
    must be importable at module level (it travels by reference, not by value)."""

    trainer: type
    config: Config
    device: str = "cpu"  # "cpu" or "accelerator": which kind of worker runs it
    max_steps: int | None = None  # finish (DONE) after this many steps
    steps_per_s: float | None = None  # rate cap; None = as fast as possible
    max_parameters: int | None = None  # refuse larger models
    history_capacity: int = 2000
    snapshot_interval_s: float | None = None  # publish at most this often; None: the worker's default (0.1 s)


class Job:
    def __init__(self, run_id: str, spec: JobSpec, device: torch.device) -> None:
        self.run_id = run_id
        self.spec = spec
        self.device = device
        self.config = spec.config
        self.history = History(spec.history_capacity)
        self.state = JobState.PAUSED
        self.reason = ""
        self.events: list[Event] = []
        self.steps = 0
        self.pending_steps = 0  # "step N" while paused
        self.steps_per_s = spec.steps_per_s
        self.trainer: Any = None
        self._payload: Mapping[str, Any] = {}  # the last good visuals, kept after a stop or failure
        self._next_due = 0.0  # rate cap: earliest time of the next step
        self._rate_mark = (0, time.perf_counter())  # (steps, time) at the last snapshot
        self._measured_rate = 0.0
        self.build()

    # -- life cycle -------------------------------------------------------------------------
    def build(self) -> None:
        """(Re)create the trainer from the current config; failures become a FAILED state."""
        self.steps, self.pending_steps = 0, 0
        self.history.clear()
        self.events.clear()
        self.trainer, self._payload = None, {}
        try:
            self.trainer = self.spec.trainer(self.config, self.device)
        except Exception as exc:  # a bad config that slipped through, out of memory, ...
            self._fail(f"the model could not be built: {exc}", exc)
            return
        size, limit = getattr(self.trainer, "n_parameters", 0), self.spec.max_parameters
        if limit is not None and size > limit:
            self.trainer = None
            self._fail(f"this model has {size:,} parameters; the limit on this server is {limit:,}.")

    def reset(self, config: Config | None = None, run: bool = False) -> None:
        """Back to step 0 with a fresh model (a new config for structural changes); revives a
        failed or stopped job, so the learner can try again with a smaller learning rate."""
        if config is not None:
            self.config = config
        self.state, self.reason = JobState.PAUSED, ""
        self.build()
        if run:
            self.set_state(JobState.RUNNING)

    def stop(self, reason: str) -> None:
        """Finish for good and free the model; the last snapshot stays readable."""
        self.set_state(JobState.DONE, reason)
        self.trainer = None

    def set_state(self, state: JobState, reason: str = "") -> None:
        if self.state.is_terminal:
            return
        if state is JobState.RUNNING and self.trainer is None:
            return
        self.state, self.reason = state, reason
        self._next_due = 0.0

    def apply(self, config: Config, changed: frozenset[str]) -> None:
        """Hot changes: applied now, recorded with the current step."""
        if self.trainer is None or self.state.is_terminal:
            return
        old = self.config
        try:
            self.trainer.apply(config, changed)
        except Exception as exc:
            self._fail(f"the change could not be applied: {exc}", exc)
            return
        self.config = config
        for name in sorted(changed):
            self.events.append(Event(self.steps, name, getattr(old, name), getattr(config, name)))

    def set_rate(self, steps_per_s: float | None) -> None:
        self.events.append(Event(self.steps, "speed", self.steps_per_s, steps_per_s))
        self.steps_per_s = steps_per_s
        self._next_due = 0.0

    # -- running ------------------------------------------------------------------------------
    def ready_at(self) -> float | None:
        """perf_counter time at which the job can take a step (None: it cannot now)."""
        if self.trainer is None:
            return None
        if self.state is JobState.RUNNING or (self.state is JobState.PAUSED and self.pending_steps > 0):
            return self._next_due
        return None

    def run_slice(self, seconds: float) -> int:
        """Step until the slice is used up, the rate cap or a step budget says stop, or it fails."""
        trainer, done_steps = self.trainer, 0
        start = time.perf_counter()
        deadline = start + seconds
        interval = 1.0 / self.steps_per_s if self.steps_per_s else 0.0
        now = start
        while now < deadline and now >= self._next_due:
            try:
                metrics = trainer.step()
            except Exception as exc:
                self._fail(f"training failed at step {self.steps + 1}: {exc}", exc)
                break
            self.steps += 1
            done_steps += 1
            if not math.isfinite(sum(metrics.values())):  # one call checks every metric
                self._fail(self._divergence_reason(metrics))
                break
            self.history.record(self.steps, metrics)
            now = time.perf_counter()
            if interval:
                self._next_due = max(self._next_due + interval, now - 0.1)  # no burst after a stall
            if self.spec.max_steps is not None and self.steps >= self.spec.max_steps:
                self.set_state(JobState.DONE, f"finished: reached {self.spec.max_steps:,} steps.")
                break
            if getattr(trainer, "done", False):
                self.set_state(JobState.DONE, getattr(trainer, "done_reason", "finished."))
                break
            if self.state is JobState.PAUSED:  # stepping N while paused
                self.pending_steps -= 1
                if self.pending_steps <= 0:
                    break
        if done_steps and self.trainer is not None and not self._parameters_finite():
            self._fail(f"a parameter became NaN or infinite by step {self.steps}. " + self._hint())
        return done_steps

    def snapshot(self) -> Snapshot:
        captured = time.time()  # the state as of the end of the last step
        if self.trainer is not None:
            try:
                self._payload = self.trainer.snapshot()
            except Exception as exc:
                self._fail(f"the view could not be computed at step {self.steps}: {exc}", exc)
        steps0, t0 = self._rate_mark
        now = time.perf_counter()
        if now - t0 > 0.05:
            self._measured_rate = (self.steps - steps0) / (now - t0) if self.state is JobState.RUNNING else 0.0
            self._rate_mark = (self.steps, now)
        return Snapshot(
            run_id=self.run_id,
            state=self.state,
            step=self.steps,
            history=self.history.arrays(),
            payload=self._payload,
            events=tuple(self.events),
            reason=self.reason,
            steps_per_s=self._measured_rate,
            created_at=captured,
        )

    # -- failure --------------------------------------------------------------------------------
    def _fail(self, reason: str, exc: BaseException | None = None) -> None:
        if exc is not None:
            log.error("job %s: %s\n%s", self.run_id, reason, "".join(traceback.format_exception(exc)))
        self.state, self.reason = JobState.FAILED, reason
        self.trainer = None  # free the model; the last snapshot stays with the page

    def _divergence_reason(self, metrics: Mapping[str, float]) -> str:
        bad = [(k, v) for k, v in metrics.items() if not math.isfinite(v)]
        name, value = bad[0]
        what = "NaN" if math.isnan(value) else "infinite"
        return f"{name} became {what} at step {self.steps}. {self._hint()}".strip()

    def _hint(self) -> str:
        hint = getattr(self.trainer, "divergence_hint", None)
        try:
            return hint() if hint else ""
        except Exception:  # a hint is a courtesy; never let it mask the real reason
            return ""

    def _parameters_finite(self) -> bool:
        check = getattr(self.trainer, "parameters_finite", None)
        return True if check is None else bool(check())
