"""Running a lab: each lab is its own one-shot job in the runtime (ui/jobs.py: Run, progress, Cancel), so the
runtime's slices and fairness apply and several labs can run or hold results at once.

When a run ends, its outcome (the result as plain data, or the reason it failed) is kept in session state
under the lab's key, so it stays when the learner opens another lab or page and comes back, and after the
runtime has let the finished job go.

"Run all" is a queue of lab keys in session state: each full rerun of the page starts queued labs while fewer
than AT_ONCE of this tab's labs are running (a finished run's progress bar reruns the page, which starts the
next), so a whole gallery never holds more than two of the server's workers for one learner.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from engine.config import ConfigError
from engine.labs.base import Lab, LabConfig, LabResult
from engine.labs.registry import LABS
from engine.labs.trainer import LabTrainer
from engine.runtime import JobState, Snapshot
from ui import jobs, labs_knobs, state
from ui.jobs import ComputeJob, compute_panel

PAGE = "labs"
TRAINER: type = LabTrainer  # the runtime job class (tests put in one that also knows their fake labs)
AT_ONCE = 2  # queued labs running at once for one tab


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How a lab's last run ended: a result, or the reason it did not produce one."""

    result: LabResult | None
    failed: str = ""
    seconds: float = 0.0


def _stage(payload: Mapping) -> str:
    return f"{payload.get('stage') or 'working…'} · {payload.get('progress', 0.0):.0%} · {payload.get('seconds', 0.0):.0f} s"


def job(lab: Lab, hint: str = "") -> ComputeJob:
    return ComputeJob(PAGE, lab.key, TRAINER, label="Run", icon=":material/science:", hint=hint, stage=_stage)


def lab_config(lab: Lab, values: Mapping[str, Any]) -> tuple[LabConfig | None, str | None]:
    """The job's config for these knob values, or the lab's message saying why they cannot be used."""
    try:
        return LabConfig(lab=lab.key, values=json.dumps(dict(values), sort_keys=True)), None
    except ConfigError as exc:
        return None, str(exc)


def run_panel(lab: Lab, config: LabConfig | None, hint: str = "") -> None:
    """Run / Cancel and the progress bar; a run that has just ended is recorded as the lab's outcome."""
    found = compute_panel(job(lab, hint), config)
    if found is not None:
        _record(lab, found[0])


def _record(lab: Lab, snap: Snapshot) -> None:
    if state.recall(PAGE, f"{lab.key}.recorded") == snap.run_id:
        return
    p = snap.payload or {}
    if snap.state is JobState.DONE and p.get("result"):
        outcome = {"result": p["result"], "seconds": float(p.get("seconds", 0.0))}
    elif snap.state is JobState.FAILED:
        outcome = {"failed": snap.reason or "it failed without a reason."}
    else:
        outcome = {"failed": f"it did not finish ({snap.reason or snap.state.value})."}
    state.remember(PAGE, f"{lab.key}.outcome", outcome)
    state.remember(PAGE, f"{lab.key}.recorded", snap.run_id)


def outcome(lab: Lab) -> Outcome | None:
    """The lab's last outcome in this tab, or None if it has not run (or its result cannot be read)."""
    kept = state.recall(PAGE, f"{lab.key}.outcome")
    if not kept:
        return None
    if "failed" in kept:
        return Outcome(None, kept["failed"])
    try:
        return Outcome(LabResult.from_payload(kept["result"]), seconds=kept.get("seconds", 0.0))
    except (KeyError, TypeError, ValueError) as exc:
        return Outcome(None, f"its result could not be read ({exc}).")


# -- run all: a queue ---------------------------------------------------------------------------------------
def queue(labs: list[Lab]) -> None:
    state.remember(PAGE, "queue", [lab.key for lab in labs])


def queued() -> list[str]:
    return list(state.recall(PAGE, "queue") or [])


def advance_queue() -> None:
    """Start queued labs (with their kept settings) while fewer than AT_ONCE labs of this tab are running."""
    waiting = queued()
    if not waiting:
        return
    going = sum(jobs.running(job(lab)) for lab in LABS.values())
    while waiting and going < AT_ONCE:
        lab = LABS.get(waiting.pop(0))
        if lab is None or jobs.running(job(lab)):  # gone from the registry, or started by its own Run meanwhile
            continue
        config, _ = lab_config(lab, labs_knobs.kept_values(lab))
        if config is None:  # settings it refuses: its card says so
            continue
        if not jobs.start(job(lab), config):  # the runtime is at a limit: try again on the next rerun
            waiting.insert(0, lab.key)
            break
        going += 1
    state.remember(PAGE, "queue", waiting)
