"""A one-shot computation in the runtime, for sections that compute something once and then show
it (a loss landscape, an experiment): a Compute button, a progress bar while it runs, Cancel,
and the finished result kept across reruns. Training pages use ui/live.py instead.

The run id lives in session state only (`state.remember`), not in the URL: the URL's run id
belongs to the page's live panel.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Mapping

import streamlit as st

from engine.config import Config, ConfigError
from engine.device import DeviceError
from engine.runtime import JobState, RuntimeLimitError, Snapshot, UnknownRunError, get_runtime
from ui import state


@dataclasses.dataclass(frozen=True)
class ComputeJob:
    page: str
    name: str  # distinguishes several jobs on one page
    trainer: type
    label: str = "Compute"
    icon: str = ":material/play_arrow:"
    hint: str = "Press **Compute** to start."
    stage: Callable[[Mapping], str] = lambda payload: "working…"  # progress text from a payload

    @property
    def memory(self) -> str:
        return f"{self.name}_run"


def compute_panel(job: ComputeJob, config: Config | None) -> tuple[Snapshot, Config] | None:
    """The job's controls and progress. Returns (snapshot, the config it ran with) once the run has
    ended (DONE or FAILED: check snap.state), else None (the hint or the progress bar is shown)."""
    try:
        runtime = get_runtime()
    except DeviceError as exc:
        st.error(f"Computing is unavailable: {exc}")
        return None
    run_id = state.recall(job.page, job.memory)
    found = _find(job, run_id)
    go, cancel = st.columns(2)
    if go.button(job.label, type="primary", icon=job.icon, key=state.action_key(job.page, f"{job.name}.compute"),
                 disabled=config is None, width="stretch"):
        run_id, found = _start(job, config, run_id)
    if found is None:
        if job.hint:  # an empty hint: the button says enough (a card in a gallery)
            st.info(job.hint)
        return None
    snap, _ = found
    if snap.state.is_terminal:
        return found
    cancel.button("Cancel", icon=":material/close:", key=state.action_key(job.page, f"{job.name}.cancel"), on_click=_cancel,
                  args=(job, run_id), width="stretch")
    if snap.state is JobState.PAUSED:  # paused while nobody watched (another page was open): go on
        try:
            runtime.resume(run_id)
        except (RuntimeLimitError, UnknownRunError) as exc:
            st.warning(str(exc))
    _progress(job, run_id)
    return None


def start(job: ComputeJob, config: Config) -> bool:
    """Start the job as its button would (its previous run is replaced). False, with the runtime's
    warning shown, when the runtime refuses (a limit on running jobs)."""
    run_id, _ = _start(job, config, state.recall(job.page, job.memory))
    return run_id is not None


def running(job: ComputeJob) -> bool:
    """Whether the job's remembered run is still going (not done, failed or gone)."""
    found = _find(job, state.recall(job.page, job.memory))
    return found is not None and not found[0].state.is_terminal


def _find(job: ComputeJob, run_id: str | None) -> tuple[Snapshot, Config] | None:
    """The remembered run's newest snapshot and its config; a run that is gone is forgotten quietly."""
    if run_id is None:
        return None
    try:
        runtime = get_runtime()
        return runtime.snapshot(run_id), runtime.spec(run_id).config
    except UnknownRunError:
        state.remember(job.page, job.memory, None)
        return None


def _start(job: ComputeJob, config: Config, previous: str | None) -> tuple[str | None, tuple[Snapshot, Config] | None]:
    runtime = get_runtime()
    if previous is not None:
        with contextlib.suppress(UnknownRunError):
            runtime.release(previous, "replaced by a new run.")
        state.remember(job.page, job.memory, None)
    try:
        run_id = runtime.start(state.session_id(), job.trainer, config, run=True)
    except (RuntimeLimitError, ConfigError) as exc:
        st.warning(str(exc))
        return None, None
    state.remember(job.page, job.memory, run_id)
    return run_id, _find(job, run_id)


def _cancel(job: ComputeJob, run_id: str) -> None:
    with contextlib.suppress(UnknownRunError):
        get_runtime().release(run_id, "cancelled.")
    state.remember(job.page, job.memory, None)


def _progress(job: ComputeJob, run_id: str) -> None:
    """Progress only (no Plotly: this redraws four times a second); the whole page redraws when it ends."""

    @st.fragment(run_every=0.25, key=f"{job.page}-{job.name}-progress")
    def follow() -> None:
        try:
            snap = get_runtime().snapshot(run_id)
        except UnknownRunError:
            state.remember(job.page, job.memory, None)
            st.rerun()
        if snap.state.is_terminal:
            st.rerun()  # the main script draws the finished result
        p = snap.payload
        st.progress(float(min(max(p.get("progress", 0.0), 0.0), 1.0)) if p else 0.0, text=job.stage(p) if p else "starting…")

    follow()
