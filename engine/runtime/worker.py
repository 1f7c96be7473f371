"""The worker process: owns some jobs, time-slices them round-robin, publishes their snapshots.

It runs in its own fresh interpreter (`python -m engine.runtime`, so torch is imported anew and
no CUDA or OpenMP state is inherited), uses one torch thread when it is a CPU worker, and talks
to the server only through one socket: commands in, snapshots out. Between slices it drains every
pending command, so pause, step and hot changes land within one slice (a few tens of ms). It
never imports Streamlit. When the server goes away the pipe reaches EOF and the worker exits.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

import torch

from engine.device import configure_threads
from engine.runtime.job import Job
from engine.runtime.snapshot import JobState, Snapshot

log = logging.getLogger(__name__)
WORKER_NICENESS = 10


class Worker:
    def __init__(self, conn: Connection, device: torch.device, slice_s: float, snapshot_interval_s: float) -> None:
        self.conn = conn
        self.device = device
        self.slice_s = slice_s
        self.snapshot_interval_s = snapshot_interval_s
        self.jobs: dict[str, Job] = {}
        self.order: collections.deque[str] = collections.deque()  # round-robin queue
        self.published: dict[str, float] = {}  # run id -> perf_counter of the last snapshot sent
        self.running = True

    # -- the loop -------------------------------------------------------------------------------
    def serve(self) -> None:
        while self.running:
            if not self._receive(self._wait_time()):
                return
            job = self._next_ready()
            if job is not None:
                before = job.state
                job.run_slice(self.slice_s)
                interval = job.spec.snapshot_interval_s or self.snapshot_interval_s
                due = time.perf_counter() - self.published.get(job.run_id, 0.0) >= interval
                if due or job.state is not before or job.ready_at() is None:
                    self._publish(job)

    def _wait_time(self) -> float | None:
        """How long to block on the pipe: 0 if a job can step now, until the next rate-capped
        step if one is waiting, forever if nothing runs."""
        times = [t for t in (j.ready_at() for j in self.jobs.values()) if t is not None]
        if not times:
            return None
        return max(0.0, min(times) - time.perf_counter())

    def _receive(self, timeout: float | None) -> bool:
        """Handle every pending command; False when the server has gone (pipe closed)."""
        try:
            if not self.conn.poll(timeout):
                return True
            while self.running and self.conn.poll(0):
                self._handle(*self.conn.recv())
        except (EOFError, OSError):
            return False
        return True

    def _next_ready(self) -> Job | None:
        now = time.perf_counter()
        for _ in range(len(self.order)):
            run_id = self.order[0]
            self.order.rotate(-1)
            job = self.jobs[run_id]
            ready = job.ready_at()
            if ready is not None and ready <= now:
                return job
        return None

    # -- commands -----------------------------------------------------------------------------
    def _handle(self, op: str, run_id: str | None = None, arg: Any = None) -> None:
        if op == "shutdown":
            self.running = False
            return
        if op == "start":
            spec, run = arg
            job = Job(run_id, spec, self.device)
            if run:
                job.set_state(JobState.RUNNING)
            self.jobs[run_id] = job
            self.order.append(run_id)
            self._publish(job)
            return
        job = self.jobs.get(run_id)
        if job is None:
            return  # released meanwhile; the server already knows
        if op == "release":
            del self.jobs[run_id]
            self.order.remove(run_id)
            self.published.pop(run_id, None)
            job.trainer = None
            job.state, job.reason = JobState.RELEASED, arg or "released."
            self._publish(job)
            return
        if op == "pause":
            job.pending_steps = 0
            job.set_state(JobState.PAUSED, arg or "")
        elif op == "resume":
            job.set_state(JobState.RUNNING)
        elif op == "step":
            job.set_state(JobState.PAUSED)
            job.pending_steps = int(arg)
        elif op == "reset":
            config, run = arg
            job.reset(config, run)
        elif op == "update":
            config, changed = arg
            job.apply(config, changed)
        elif op == "rate":
            job.set_rate(arg)
        elif op == "stop":
            job.stop(arg or f"stopped at step {job.steps:,}.")
        else:
            log.error("unknown command %r", op)
            return
        self._publish(job)

    def _publish(self, job: Job) -> None:
        snapshot: Snapshot = job.snapshot()
        self.published[job.run_id] = time.perf_counter()
        self.conn.send(("snapshot", snapshot))


def worker_main(argv: list[str]) -> None:
    """Entry point of a worker process: argv = fd, device kind, threads, slice_s, snapshot_interval_s."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s worker %(process)d %(levelname)s %(message)s")
    fd, device_kind, threads, slice_s, snapshot_interval_s = argv
    conn = Connection(int(fd))
    # Training yields to the page server: when every core trains, pages must still redraw promptly.
    # A lower priority costs nothing when cores are free.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(WORKER_NICENESS)
    try:
        op, path = conn.recv()
        if op == "path":
            sys.path[:] = list(dict.fromkeys([*path, *sys.path]))
        configure_threads(int(threads))
        worker = Worker(conn, torch.device(device_kind), float(slice_s), float(snapshot_interval_s))
        conn.send(("ready", None))
        worker.serve()
    except (EOFError, OSError, KeyboardInterrupt):
        pass
    finally:
        conn.close()
