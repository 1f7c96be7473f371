"""Running a lab: each lab is its own one-shot job in the runtime (ui/jobs.py: Run, progress, Cancel), so the
runtime's slices and fairness apply and several labs can run or hold results at once.

When a run ends, its outcome (the result as plain data, or the reason it failed) is kept in session state
under the lab's key, so it stays when the learner opens another lab or page and comes back, and after the
runtime has let the finished job go.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from engine.config import ConfigError
from engine.labs.base import Lab, LabConfig, LabResult
from engine.labs.trainer import LabTrainer
from engine.runtime import JobState, Snapshot
from ui import state
from ui.jobs import ComputeJob, compute_panel

PAGE = "labs"
TRAINER: type = LabTrainer  # the runtime job class (tests put in one that also knows their fake labs)


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
