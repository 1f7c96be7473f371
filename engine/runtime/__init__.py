"""The live-training runtime: jobs in worker processes, controlled by pages, read as snapshots.

`get_runtime()` returns the server's one Runtime; see runtime.py for the controls, job.py for
the Trainer protocol an experiment implements, snapshot.py for what pages read, executor.py
for where jobs execute and worker.py for the process loop.
"""

from engine.runtime.job import JobSpec, Trainer
from engine.runtime.runtime import Limits, Runtime, RuntimeLimitError, UnknownRunError, get_runtime
from engine.runtime.snapshot import Event, History, JobState, Snapshot

__all__ = [
    "Event",
    "History",
    "JobSpec",
    "JobState",
    "Limits",
    "Runtime",
    "RuntimeLimitError",
    "Snapshot",
    "Trainer",
    "UnknownRunError",
    "get_runtime",
]
