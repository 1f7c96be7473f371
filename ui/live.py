"""The live panel every training page uses: run controls plus a view that follows the job.

`live_panel(...)` owns the page's job: it re-attaches to the run named in the URL after a
refresh, starts one on the first press of Run, applies the page's config to it (hot fields
change the running job and are marked on its curves; structural fields rebuild it), draws the
controls (run/pause, step, reset, speed), and renders the newest snapshot inside a fragment that
reruns on a timer only while the job runs — the rest of the page stays still.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import time
from collections.abc import Callable

import streamlit as st

from engine.config import Config, ConfigError
from engine.device import DeviceError
from engine.runtime import JobState, RuntimeLimitError, Snapshot, UnknownRunError, get_runtime
from ui import state

SPEEDS = {"1/s": 1.0, "5/s": 5.0, "20/s": 20.0, "50/s": 50.0, "100/s": 100.0, "max": None}
SETTLE_S = 2.0  # how long a button waits for the worker to confirm (normally milliseconds)


@dataclasses.dataclass(frozen=True)
class LiveJob:
    """What a page needs to start its job: the trainer class and how to run it."""

    page: str
    trainer: type
    unit: str = "step"  # "epoch", "iteration" ... shown in counters and buttons
    device: str = "cpu"
    max_steps: int | None = None
    autostart: bool = True  # build the model (paused) as the page opens, so its views show at once
    default_speed: str = "max"  # a key of SPEEDS: an animation (the optimizer race) wants a pace the eye can follow
    snapshot_interval_s: float | None = None  # how often the worker publishes the view (None: every 0.1 s)


def live_panel(
    job: LiveJob,
    config: Config,
    render: Callable[[Snapshot], None],
    details: Callable[[Snapshot], None] | None = None,
    poll_s: float = 0.05,
    details_poll_s: float = 0.5,
) -> None:
    """Controls and the live view of this page's job, which follows `config`.

    `render` draws what must move smoothly (redrawn as fast as the browser takes it, ~5×/s);
    `details`, if given, draws what can lag a little (curves, tabs) in a second fragment
    redrawn twice a second, so the fast view does not wait for it."""
    try:
        runtime = get_runtime()
    except DeviceError as exc:
        st.error(f"Training is unavailable: {exc}")
        return
    if message := state.take_flash(job.page):
        getattr(st, message[0])(message[1])
    run_id, rebuilt_at = _current_run(job, config)
    if run_id is None and job.autostart:
        try:
            run_id = _start(job, config, run=False)
        except (RuntimeLimitError, ConfigError) as exc:
            st.warning(str(exc))
    _controls(job, config, run_id)
    if run_id is None:
        st.info("Press **Run** to start training. Settings can change while it runs.")
        return
    first = runtime.snapshot(run_id)
    running = first.state is JobState.RUNNING
    # A model still being built (its first view not yet published, or an older view from before a rebuild this run
    # asked for): follow it until the new view arrives, even while paused, then redraw the page once.
    building = not first.state.is_terminal and (not first.payload or first.created_at < rebuilt_at)

    @st.fragment(run_every=poll_s if running or building else None, key=f"live-{job.page}")
    def follow() -> None:
        try:
            snap = runtime.snapshot(run_id)
        except UnknownRunError as exc:
            st.warning(str(exc))
            return
        _status(job, snap)
        render(snap)
        if (snap.state is JobState.RUNNING) != running:
            st.rerun()  # state changed under us (finished, failed, idle-paused): redraw controls
        if building and snap.payload and snap.created_at >= rebuilt_at:
            st.rerun()  # the new model's first view has arrived

    @st.fragment(run_every=details_poll_s if running else None, key=f"live-details-{job.page}")
    def follow_details() -> None:
        try:
            snap = runtime.snapshot(run_id)
        except UnknownRunError:
            return
        if snap.payload:
            details(snap)

    follow()
    if details is not None:
        follow_details()


def _current_run(job: LiveJob, config: Config) -> tuple[str | None, float]:
    """This page's run, re-attached after a refresh and brought in line with the config; and the time at which this
    tab last told it to rebuild (0 if never): a view older than that is from the old model."""
    run_id = state.run_id(job.page)
    if run_id is None:
        return None, 0.0
    runtime = get_runtime()
    try:
        spec = runtime.spec(run_id)
        if spec.trainer is not job.trainer:  # another page's run id, carried over in the URL
            state.set_run_id(job.page, None)
            return None, 0.0
        snap = runtime.attach(run_id, state.session_id())
    except UnknownRunError as exc:
        state.set_run_id(job.page, None)
        st.warning(str(exc))
        return None, 0.0
    state.set_run_id(job.page, run_id)  # keep it in the URL for refreshes
    if spec.config.needs_rebuild(config):
        # The worker stamps each snapshot with time.time(): wait for one from the new model. Kept for the tab, so that
        # the next run still knows the view is old if this one is interrupted (a rerun requested meanwhile).
        rebuilt_at = time.time()
        state.remember(job.page, "rebuilt_at", rebuilt_at)
        runtime.reset(run_id, config, run=snap.state is JobState.RUNNING)
        _settle(run_id, lambda s: s.created_at >= rebuilt_at)
    elif changed := spec.config.changed_fields(config):
        runtime.update(run_id, **{name: getattr(config, name) for name in changed})
    return run_id, float(state.recall(job.page, "rebuilt_at", 0.0))


def _controls(job: LiveJob, config: Config, run_id: str | None) -> None:
    snap = get_runtime().snapshot(run_id) if run_id else None
    running = snap is not None and snap.state is JobState.RUNNING
    play, step, reset, speed = st.columns([1, 1, 1, 2], vertical_alignment="bottom")
    action = functools.partial(state.action_key, job.page)
    if running:
        play.button("Pause", icon=":material/pause:", key=action("pause"), on_click=_pause, args=(job, run_id), width="stretch")
    else:
        play.button("Run", icon=":material/play_arrow:", type="primary", key=action("run"),
                    on_click=_run, args=(job, config, run_id), width="stretch")
    step.button("Step" if job.unit == "step" else f"Step 1 {job.unit}", icon=":material/skip_next:", key=action("step"),
                on_click=_step, args=(job, config, run_id), width="stretch")
    reset.button("Reset", icon=":material/restart_alt:", key=action("reset"), on_click=_reset, args=(job, config, run_id),
                 disabled=run_id is None, width="stretch")
    st.session_state.setdefault(f"{job.page}.speed", job.default_speed)
    speed.select_slider(f"Speed ({job.unit}s per second)", options=list(SPEEDS), key=f"{job.page}.speed", on_change=_speed, args=(job,))


# -- button callbacks (run before the rerun, so the page redraws with the new state) --------------
def _guarded(callback: Callable[..., None]) -> Callable[..., None]:
    """Callbacks run before the script, outside any page check: a run released meanwhile (idle
    for 30 minutes, say) or a refused start becomes a message on the page, never a traceback."""

    @functools.wraps(callback)
    def wrapper(job: LiveJob, *args) -> None:
        try:
            callback(job, *args)
        except UnknownRunError as exc:
            state.set_run_id(job.page, None)
            state.flash(job.page, f"{exc} Press Run to start a new one.")
        except (RuntimeLimitError, ConfigError, ValueError) as exc:
            state.flash(job.page, str(exc))

    return wrapper


@_guarded
def _run(job: LiveJob, config: Config, run_id: str | None) -> None:
    runtime = get_runtime()
    if run_id is None:
        _start(job, config, run=True)
        return
    snap = runtime.snapshot(run_id)
    if snap.state.is_terminal:
        runtime.reset(run_id, config, run=True)  # a finished or failed run starts over
    else:
        runtime.resume(run_id)
    _settle(run_id, lambda s: s.state is JobState.RUNNING)


@_guarded
def _pause(job: LiveJob, run_id: str) -> None:
    get_runtime().pause(run_id)
    _settle(run_id, lambda s: s.state is not JobState.RUNNING)


@_guarded
def _step(job: LiveJob, config: Config, run_id: str | None) -> None:
    runtime = get_runtime()
    if run_id is None:
        run_id = _start(job, config, run=False)
    snap = runtime.snapshot(run_id)
    if snap.state.is_terminal:
        state.flash(job.page, "This run has ended: press Reset (or Run) to start a new one.", "info")
        return
    runtime.step(run_id, 1)
    _settle(run_id, lambda s: s.step > snap.step or s.state.is_terminal)


@_guarded
def _reset(job: LiveJob, config: Config, run_id: str | None) -> None:
    if run_id is not None:
        get_runtime().reset(run_id, config, run=False)
        _settle(run_id, lambda s: s.step == 0 and s.state is JobState.PAUSED)


@_guarded
def _speed(job: LiveJob) -> None:
    run_id = state.run_id(job.page)
    if run_id is not None:
        with contextlib.suppress(UnknownRunError):
            get_runtime().set_rate(run_id, SPEEDS[st.session_state[f"{job.page}.speed"]])


def _start(job: LiveJob, config: Config, run: bool) -> str:
    runtime = get_runtime()
    rate = SPEEDS[st.session_state.get(f"{job.page}.speed", job.default_speed)]
    run_id = runtime.start(state.session_id(), job.trainer, config, run=run, device=job.device,
                           max_steps=job.max_steps, steps_per_s=rate, snapshot_interval_s=job.snapshot_interval_s)
    state.set_run_id(job.page, run_id)
    _settle(run_id, lambda s: s.payload or s.state.is_terminal)
    return run_id


def _settle(run_id: str, predicate: Callable[[Snapshot], bool]) -> None:
    """Wait briefly for the worker to confirm a command, so the redraw shows its effect."""
    with contextlib.suppress(TimeoutError, UnknownRunError):
        get_runtime().wait(run_id, predicate, SETTLE_S)


def _status(job: LiveJob, snap: Snapshot) -> None:
    """A one-line status: state, counters, speed and, when it stopped, why."""
    loss = snap.latest("loss")
    parts = [f"**{snap.state.value}**", f"{job.unit} {snap.step:,}"]
    if loss == loss:  # not NaN
        parts.append(f"loss {loss:.4g}")
    if snap.state is JobState.RUNNING and snap.steps_per_s:
        rate = snap.steps_per_s
        parts.append(f"{rate:,.0f} {job.unit}s/s" if rate >= 10 else f"{rate:.2g} {job.unit}s/s")  # slow jobs: 2.5, not 2
    st.markdown(" · ".join(parts))
    # One slot whatever the state: a live view keeps the same element structure from redraw to
    # redraw, or Streamlit shows stale copies of everything below while it redraws (the page jumps).
    message = st.empty()
    if snap.state is JobState.FAILED:
        message.error(f"Training stopped: {snap.reason} The last good state is shown below.", icon=":material/error:")
    elif snap.reason and snap.state is not JobState.RUNNING:
        message.info(snap.reason, icon=":material/info:")
