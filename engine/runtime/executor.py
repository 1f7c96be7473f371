"""Where jobs execute: the Executor interface and its default, a local pool of worker processes.

The Runtime speaks only this interface (submit a job, send it a command, shut down; snapshots
come back through a callback), so another backend — Ray actors when a class outgrows one
machine, say — can replace the local pool without touching the pages.

Why processes: small-network training is Python-bound, so threads would fight over the GIL
(measured on 2 cores: 2 threads give less total throughput than 1) and starve Streamlit's own
server thread. Each worker is a fresh interpreter (`python -m engine.runtime`, joined to the
server by a socket pair) with one torch thread: forking a process that has initialised torch is
unsafe, and multiprocessing's `spawn` would re-run the server's main script — Streamlit's CLI —
inside every worker. When an accelerator is present, one extra worker owns its context and
takes the jobs that ask for it. A receiver thread here blocks on the workers' pipes
(no GIL held while waiting) and hands each snapshot to the callback. A worker that dies is
replaced, and its jobs are reported failed with a reason.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from engine.runtime.job import JobSpec
from engine.runtime.snapshot import JobState, Snapshot

log = logging.getLogger(__name__)

SnapshotCallback = Callable[[Snapshot], None]


class Executor(abc.ABC):
    """Runs jobs somewhere; reports every snapshot they publish to `on_snapshot`."""

    def __init__(self, on_snapshot: SnapshotCallback) -> None:
        self.on_snapshot = on_snapshot

    @abc.abstractmethod
    def submit(self, run_id: str, spec: JobSpec, run: bool) -> None:
        """Build the job (paused, or running when `run`) and publish its first snapshot."""

    @abc.abstractmethod
    def command(self, run_id: str, op: str, arg: Any = None) -> bool:
        """pause | resume | step (n) | reset ((config, run)) | update ((config, changed)) |
        rate (steps/s or None) | stop (reason) | release (reason). False when no worker holds
        the run (it was lost with a dead worker): the caller may submit it again."""

    @abc.abstractmethod
    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop every job and every worker; leave no process or thread behind."""


PROJECT_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds engine/
START_TIMEOUT_S = 120.0  # importing torch on a busy machine can take a while


class _WorkerHandle:
    def __init__(self, index: int, kind: str, process: subprocess.Popen, conn: Connection) -> None:
        self.index, self.kind, self.process, self.conn = index, kind, process, conn
        self.send_lock = threading.Lock()  # many Streamlit threads may send at once
        self.jobs: set[str] = set()


class LocalProcessExecutor(Executor):
    def __init__(
        self,
        on_snapshot: SnapshotCallback,
        cpu_workers: int,
        accelerator: str | None = None,  # "cuda" / "mps": add one worker that owns that device
        slice_s: float = 0.02,
        snapshot_interval_s: float = 0.1,
    ) -> None:
        super().__init__(on_snapshot)
        self._settings = (slice_s, snapshot_interval_s)
        self._lock = threading.Lock()
        self._placement: dict[str, _WorkerHandle] = {}
        self._closing = False
        kinds = ["cpu"] * max(1, cpu_workers) + ([accelerator] if accelerator else [])
        self._workers = [self._spawn(i, kind) for i, kind in enumerate(kinds)]
        for worker in self._workers:  # wait until each has imported torch and is listening
            if not _started(worker):
                self.shutdown()
                raise RuntimeError("a training worker process failed to start")
        self._receiver = threading.Thread(target=self._receive_loop, name="runtime-receiver", daemon=True)
        self._receiver.start()

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(w.kind for w in self._workers)

    def _spawn(self, index: int, kind: str) -> _WorkerHandle:
        ours, theirs = socket.socketpair()
        threads = 1 if kind == "cpu" else 2
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]))
        # NumPy's BLAS must not start threads of its own either: one worker per core already
        env.update({name: str(threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
        args = [str(theirs.fileno()), kind, str(threads), *map(str, self._settings)]
        process = subprocess.Popen([sys.executable, "-m", "engine.runtime", *args], pass_fds=[theirs.fileno()], env=env)
        theirs.close()
        conn = Connection(ours.detach())
        conn.send(("path", list(sys.path)))  # so trainer classes import there as they do here
        return _WorkerHandle(index, kind, process, conn)

    # -- Executor -------------------------------------------------------------------------------
    def submit(self, run_id: str, spec: JobSpec, run: bool) -> None:
        on_cpu = spec.device == "cpu"
        with self._lock:
            pool = [w for w in self._workers if (w.kind == "cpu") == on_cpu] or self._workers
            worker = min(pool, key=lambda w: (len(w.jobs), w.index))  # least loaded
            worker.jobs.add(run_id)
            self._placement[run_id] = worker
        self._send(worker, ("start", run_id, (spec, run)))

    def command(self, run_id: str, op: str, arg: Any = None) -> bool:
        with self._lock:
            worker = self._placement.get(run_id)
            if worker is not None and op == "release":
                worker.jobs.discard(run_id)
                del self._placement[run_id]
        if worker is None:
            return False
        self._send(worker, (op, run_id, arg))
        return True

    def shutdown(self, timeout: float = 5.0) -> None:
        with self._lock:
            if self._closing:
                return
            self._closing = True
        for worker in self._workers:
            with contextlib.suppress(OSError):
                self._send(worker, ("shutdown", None, None))
        for worker in self._workers:
            try:
                worker.process.wait(timeout)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(5)
        receiver = getattr(self, "_receiver", None)
        if receiver is not None and receiver is not threading.current_thread():
            receiver.join(timeout)
        for worker in self._workers:
            worker.conn.close()

    # -- internals ------------------------------------------------------------------------------
    def _send(self, worker: _WorkerHandle, message: tuple) -> None:
        with worker.send_lock:
            worker.conn.send(message)

    def _receive_loop(self) -> None:
        while not self._closing:
            conns = {w.conn: w for w in self._workers}
            for conn in wait(list(conns), timeout=0.2):
                worker = conns[conn]
                try:
                    kind, body = conn.recv()
                except (EOFError, OSError):
                    if not self._closing:
                        self._replace(worker)
                    continue
                if kind == "snapshot":
                    try:
                        self.on_snapshot(body)
                    except Exception:
                        log.exception("snapshot callback failed")

    def _replace(self, dead: _WorkerHandle) -> None:
        """A worker died (out of memory, a crash in native code): fail its jobs, start a new one."""
        dead.conn.close()
        log.error("worker %d (%s) died with exit code %s", dead.index, dead.kind, dead.process.wait())
        fresh = self._spawn(dead.index, dead.kind)
        if not _started(fresh):
            log.error("replacement worker %d failed to start", dead.index)
        with self._lock:
            self._workers[dead.index] = fresh
            lost = sorted(dead.jobs)
            for run_id in lost:
                self._placement.pop(run_id, None)
        for run_id in lost:
            self.on_snapshot(
                Snapshot(
                    run_id=run_id,
                    state=JobState.FAILED,
                    step=-1,  # unknown: the server keeps the last step it saw
                    history={},
                    payload={},
                    reason="the training process stopped unexpectedly (out of memory?). Reset to start again.",
                )
            )


def _started(worker: _WorkerHandle) -> bool:
    try:
        return worker.conn.poll(START_TIMEOUT_S) and worker.conn.recv()[0] == "ready"
    except (EOFError, OSError):
        return False
