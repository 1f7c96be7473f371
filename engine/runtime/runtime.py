"""The process-wide live-training runtime that every browser session shares.

Pages never train inside a Streamlit rerun: they `start` a job here and get a run id back, send
controls (pause, resume, step N, reset, stop, hot config updates) and read the newest immutable
Snapshot whenever they redraw. Training happens in worker processes behind an `Executor`.

The runtime also protects the server when a whole class connects at once: limits on running
jobs (overall and per session) and on model size; a job nobody has looked at for a while is
paused, and later released. A run id is an unguessable token: a page keeps it in its URL, so
after a refresh the new browser session `attach`es to the same job and takes it over.
"""

from __future__ import annotations

import atexit
import collections
import dataclasses
import os
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from engine.config import Config, ConfigError
from engine.device import cpu_count, pick_kind
from engine.runtime.executor import Executor, LocalProcessExecutor, SnapshotCallback
from engine.runtime.job import JobSpec
from engine.runtime.snapshot import JobState, Snapshot


class RuntimeLimitError(RuntimeError):
    """Refused to start a job because the server or the session is at its limit."""


class UnknownRunError(KeyError):
    """No such run: it never existed, the server restarted, or it was released."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclasses.dataclass(frozen=True)
class Limits:
    max_running: int = 48  # jobs training at once on the whole server (they share the cores)
    max_running_per_session: int = 4  # jobs training at once for one browser tab
    max_jobs: int = 400  # jobs held in memory, running or paused (a paused job costs memory only)
    max_jobs_per_session: int = 16
    max_parameters: int = 5_000_000  # per model
    idle_pause_s: float = 120.0  # a running job nobody polled for this long is paused
    idle_release_s: float = 1800.0  # any job nobody polled for this long is released


@dataclasses.dataclass
class _Run:
    owner: str
    spec: JobSpec
    snapshot: Snapshot
    last_seen: float  # time.monotonic() of the last poll by a page


class Runtime:
    def __init__(
        self,
        *,
        workers: int | None = None,
        limits: Limits = Limits(),
        slice_s: float = 0.02,
        snapshot_interval_s: float = 0.1,
        janitor_interval_s: float = 1.0,
        executor_factory: Callable[[SnapshotCallback], Executor] | None = None,
    ) -> None:
        self.limits = limits
        self._runs: dict[str, _Run] = {}
        self._released: collections.OrderedDict[str, str] = collections.OrderedDict()  # run id -> why
        self._changed = threading.Condition()
        if executor_factory is None:
            kind, _ = pick_kind()
            accelerator = None if kind == "cpu" else kind

            def executor_factory(callback: SnapshotCallback) -> Executor:
                return LocalProcessExecutor(callback, workers or cpu_count(), accelerator, slice_s, snapshot_interval_s)

        self.executor = executor_factory(self._on_snapshot)
        self._stopping = threading.Event()
        self._janitor = threading.Thread(target=self._janitor_loop, args=(janitor_interval_s,), name="runtime-janitor", daemon=True)
        self._janitor.start()

    # -- starting and reading ---------------------------------------------------------------------
    def start(
        self,
        session: str,
        trainer: type,
        config: Config,
        *,
        run: bool = True,
        device: str = "cpu",
        max_steps: int | None = None,
        steps_per_s: float | None = None,
        snapshot_interval_s: float | None = None,
    ) -> str:
        """Start a job for this browser session; returns its run id. `snapshot_interval_s`: how
        often the job publishes its view (default 0.1 s; an animation may want it more often)."""
        with self._changed:
            self._check_capacity(session, running=run, new=True)
            run_id = secrets.token_urlsafe(9)
            spec = JobSpec(trainer, config, device, max_steps, steps_per_s, self.limits.max_parameters,
                           snapshot_interval_s=snapshot_interval_s)
            first = Snapshot(run_id, JobState.RUNNING if run else JobState.PAUSED, 0, {}, {})
            self._runs[run_id] = _Run(session, spec, first, time.monotonic())
        self.executor.submit(run_id, spec, run)
        return run_id

    def snapshot(self, run_id: str) -> Snapshot:
        """The newest snapshot; reading it counts as someone watching (keeps the job alive)."""
        with self._changed:
            run = self._get(run_id)
            run.last_seen = time.monotonic()
            return run.snapshot

    def attach(self, run_id: str, session: str) -> Snapshot:
        """Take over a run from another browser session (a refreshed page) and read it."""
        with self._changed:
            self._get(run_id).owner = session
        return self.snapshot(run_id)

    def spec(self, run_id: str) -> JobSpec:
        """How the run was started: trainer class, current config, device, limits."""
        with self._changed:
            return self._get(run_id).spec

    def config(self, run_id: str) -> Config:
        return self.spec(run_id).config

    def runs(self, session: str) -> list[str]:
        with self._changed:
            return [k for k, r in self._runs.items() if r.owner == session]

    def wait(self, run_id: str, predicate: Callable[[Snapshot], bool], timeout: float = 10.0) -> Snapshot:
        """Block until the run's snapshot satisfies predicate (tests, scripts, benchmarks)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                snap = self._get(run_id).snapshot
                if predicate(snap):
                    return snap
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"run {run_id}: condition not met in {timeout} s (last state {snap.state}, step {snap.step})")
                self._changed.wait(left)

    # -- controls -------------------------------------------------------------------------------
    def pause(self, run_id: str) -> None:
        self._command(run_id, "pause")

    def resume(self, run_id: str) -> None:
        with self._changed:
            run = self._get(run_id)
            if run.snapshot.state is not JobState.RUNNING:
                self._check_capacity(run.owner, running=True, new=False)
        self._command(run_id, "resume")

    def step(self, run_id: str, n: int = 1) -> None:
        """Pause, then take exactly n steps."""
        if n < 1:
            raise ValueError("step count must be at least 1")
        self._command(run_id, "step", int(n))

    def stop(self, run_id: str) -> None:
        self._command(run_id, "stop")

    def set_rate(self, run_id: str, steps_per_s: float | None) -> None:
        """Cap the job's speed (None: as fast as possible)."""
        if steps_per_s is not None and steps_per_s <= 0:
            raise ValueError("speed must be positive")
        self._command(run_id, "rate", steps_per_s)

    def update(self, run_id: str, **changes: Any) -> frozenset[str]:
        """Apply hot config changes to the running job; they are recorded as events at the step
        where they land. Structural changes raise ConfigError: use reset(config=...)."""
        with self._changed:
            run = self._get(run_id)
            new = run.spec.config.replace(**changes)
            changed = run.spec.config.changed_fields(new)
            structural = changed - new.HOT
            if structural:
                raise ConfigError(f"changing {', '.join(sorted(structural))} rebuilds the model: reset to apply it.")
            if not changed:
                return changed
            run.spec = dataclasses.replace(run.spec, config=new)
        self._command(run_id, "update", (new, changed))
        return changed

    def reset(self, run_id: str, config: Config | None = None, run: bool = False) -> None:
        """Back to step 0 with a fresh model (and a new config, for structural changes)."""
        with self._changed:
            record = self._get(run_id)
            if run and record.snapshot.state is not JobState.RUNNING:
                self._check_capacity(record.owner, running=True, new=False)
            if config is not None:
                record.spec = dataclasses.replace(record.spec, config=config)
            spec = record.spec
        if not self.executor.command(run_id, "reset", (config, run)):
            self.executor.submit(run_id, spec, run)  # its worker died: build it afresh

    def release(self, run_id: str, reason: str = "released.") -> None:
        """Forget the run and free its memory in the worker."""
        with self._changed:
            if self._runs.pop(run_id, None) is None:
                return
            self._remember_released(run_id, reason)
        self.executor.command(run_id, "release", reason)

    def shutdown(self) -> None:
        self._stopping.set()
        if self._janitor is not threading.current_thread():
            self._janitor.join(5)
        self.executor.shutdown()

    # -- internals ------------------------------------------------------------------------------
    def _check_capacity(self, session: str, running: bool, new: bool) -> None:
        """Raise RuntimeLimitError when one more job (new) or one more running job would exceed a limit."""
        lim = self.limits
        held = [r for r in self._runs.values() if not r.snapshot.state.is_terminal]
        if new and len(held) >= lim.max_jobs:
            raise RuntimeLimitError("The server holds as many models as it can right now. Try again in a few minutes.")
        if new and sum(r.owner == session for r in held) >= lim.max_jobs_per_session:
            raise RuntimeLimitError(f"This browser tab already holds {lim.max_jobs_per_session} runs: reset or close some pages first.")
        if not running:
            return
        training = [r for r in held if r.snapshot.state is JobState.RUNNING]
        if len(training) >= lim.max_running:
            raise RuntimeLimitError(
                f"The server is training {len(training)} models right now, its limit. Pause one of yours or try again in a minute."
            )
        mine = sum(r.owner == session for r in training)
        if mine >= lim.max_running_per_session:
            raise RuntimeLimitError(
                f"You already have {mine} runs training (the limit per browser tab is {lim.max_running_per_session}). "
                "Pause one before starting another."
            )

    def _get(self, run_id: str) -> _Run:
        run = self._runs.get(run_id)
        if run is None:
            why = self._released.get(run_id, "it is not on this server (the server may have restarted).")
            raise UnknownRunError(f"This run is gone: {why}")
        return run

    def _command(self, run_id: str, op: str, arg: Any = None) -> None:
        with self._changed:
            self._get(run_id)
        self.executor.command(run_id, op, arg)

    def _on_snapshot(self, snap: Snapshot) -> None:
        with self._changed:
            run = self._runs.get(snap.run_id)
            if run is None or snap.state is JobState.RELEASED:
                return
            if snap.step < 0:  # the worker died: keep what we last saw, with the new state
                snap = dataclasses.replace(run.snapshot, state=snap.state, reason=snap.reason)
            run.snapshot = snap
            self._changed.notify_all()

    def _remember_released(self, run_id: str, reason: str) -> None:
        self._released[run_id] = reason
        while len(self._released) > 10_000:
            self._released.popitem(last=False)

    def _janitor_loop(self, interval: float) -> None:
        while not self._stopping.wait(interval):
            now = time.monotonic()
            pause, release = [], []
            with self._changed:
                for run_id, run in self._runs.items():
                    idle = now - run.last_seen
                    if idle >= self.limits.idle_release_s:
                        release.append(run_id)
                    elif idle >= self.limits.idle_pause_s and run.snapshot.state is JobState.RUNNING:
                        pause.append((run_id, idle))
            for run_id, idle in pause:
                self.executor.command(run_id, "pause", f"paused after {idle:.0f} s with no page watching it.")
            for run_id in release:
                minutes = self.limits.idle_release_s / 60
                self.release(run_id, f"it was released after {minutes:g} minutes with no page watching it.")


_shared: Runtime | None = None
_shared_lock = threading.Lock()


def get_runtime() -> Runtime:
    """The one runtime of this server process, started on first use and stopped at exit.
    `PLAYGROUND_WORKERS` sets the number of CPU worker processes (default: one per core)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            workers = int(os.environ.get("PLAYGROUND_WORKERS", "0")) or None
            _shared = Runtime(workers=workers)
            atexit.register(_shared.shutdown)
        return _shared
