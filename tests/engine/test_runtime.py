"""The live-training runtime on real worker processes: fairness, controls, hot changes, failures,
idle handling, limits, and a clean shutdown."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.config import ConfigError
from engine.curve_fit import CurveFitConfig, CurveFitTrainer
from engine.runtime import JobState, Limits, Runtime, RuntimeLimitError, UnknownRunError
from tests.engine.trainers import CounterConfig, CounterTrainer, HugeTrainer, ModulesProbe

ROOT = Path(__file__).resolve().parents[2]


def running(s):
    return s.state is JobState.RUNNING


@pytest.fixture(scope="module")
def runtime():
    rt = Runtime(workers=2, limits=Limits(max_running_per_session=3, max_jobs_per_session=5, max_parameters=1_000_000))
    yield rt
    rt.shutdown()


def progress_over(rt, run_ids, seconds):
    before = [rt.snapshot(r).step for r in run_ids]
    time.sleep(seconds)
    return [rt.snapshot(r).step - b for r, b in zip(run_ids, before, strict=True)]


def test_two_jobs_started_together_both_progress(runtime):
    a = runtime.start("fair", CurveFitTrainer, CurveFitConfig(seed=1))
    b = runtime.start("fair", CurveFitTrainer, CurveFitConfig(seed=2))
    for r in (a, b):
        runtime.wait(r, lambda s: s.step > 5)
    steps = progress_over(runtime, [a, b], 1.5)
    assert min(steps) > 0
    assert min(steps) >= max(steps) / 3, f"unfair split of steps: {steps}"
    for r in (a, b):
        runtime.release(r)


def test_one_worker_time_slices_its_jobs_round_robin():
    rt = Runtime(workers=1)
    try:
        runs = [rt.start("s", CounterTrainer, CounterConfig(work_s=0.0005)) for _ in range(3)]
        for r in runs:
            rt.wait(r, lambda s: s.step > 5)
        steps = progress_over(rt, runs, 1.5)
        assert min(steps) >= max(steps) / 3, f"one job starved the others: {steps}"
    finally:
        rt.shutdown()


def test_pause_stops_progress_and_resume_continues(runtime):
    r = runtime.start("pause", CounterTrainer, CounterConfig())
    runtime.wait(r, lambda s: s.step > 10)
    runtime.pause(r)
    paused = runtime.wait(r, lambda s: s.state is JobState.PAUSED)
    time.sleep(0.5)
    assert runtime.snapshot(r).step == paused.step
    runtime.resume(r)
    runtime.wait(r, lambda s: s.step > paused.step + 10)
    runtime.release(r)


def test_step_n_takes_exactly_n_steps(runtime):
    r = runtime.start("step", CounterTrainer, CounterConfig(), run=False)
    runtime.wait(r, lambda s: "n" in s.payload)
    runtime.step(r, 7)
    snap = runtime.wait(r, lambda s: s.step >= 7)
    time.sleep(0.3)
    snap = runtime.snapshot(r)
    assert (snap.step, snap.state, snap.payload["n"]) == (7, JobState.PAUSED, 7)
    runtime.release(r)


def test_hot_change_applies_at_the_recorded_step(runtime):
    r = runtime.start("hot", CounterTrainer, CounterConfig(learning_rate=0.1))
    runtime.wait(r, lambda s: s.step > 20)
    assert runtime.update(r, learning_rate=0.5) == {"learning_rate"}
    snap = runtime.wait(r, lambda s: s.events and s.step > s.events[-1].step + 20)
    event = snap.events[-1]
    assert (event.name, event.old, event.new) == ("learning_rate", 0.1, 0.5)
    steps, rates = snap.metric("learning_rate")
    # The trainer itself reports the rate it used: old up to the event's step, new after it.
    assert all(rates[steps <= event.step] == 0.1)
    assert all(rates[steps > event.step] == 0.5)
    with pytest.raises(ConfigError, match="rebuilds"):
        runtime.update(r, nan_at=3)
    runtime.release(r)


def test_non_finite_loss_stops_the_job_with_a_reason(runtime):
    r = runtime.start("nan", CounterTrainer, CounterConfig(nan_at=40))
    snap = runtime.wait(r, lambda s: s.state.is_terminal)
    assert snap.state is JobState.FAILED
    assert "loss became NaN at step 40" in snap.reason and "told to fail" in snap.reason
    assert snap.latest("loss") == pytest.approx(1 / 39), "the history keeps the last good value"


def test_divergent_learning_rate_stops_a_real_network_and_keeps_the_last_good_view(runtime):
    r = runtime.start("nan", CurveFitTrainer, CurveFitConfig(optimizer="sgd", learning_rate=10.0))
    snap = runtime.wait(r, lambda s: s.state.is_terminal)
    assert snap.state is JobState.FAILED
    assert "learning rate 10 is too high" in snap.reason
    assert math.isfinite(snap.payload["prediction"][0]) or len(snap.payload["prediction"]) == 200
    runtime.reset(r)
    revived = runtime.wait(r, lambda s: s.state is JobState.PAUSED and s.step == 0)
    assert revived.reason == ""
    runtime.release(r)


def test_reattach_after_refresh_moves_the_run_to_the_new_session(runtime):
    r = runtime.start("tab-1", CounterTrainer, CounterConfig())
    runtime.wait(r, running)
    snap = runtime.attach(r, "tab-2")
    assert snap.run_id == r and r in runtime.runs("tab-2") and r not in runtime.runs("tab-1")
    runtime.release(r)
    with pytest.raises(UnknownRunError, match="released"):
        runtime.snapshot(r)


def test_limits_protect_the_server(runtime):
    runs = [runtime.start("greedy", CounterTrainer, CounterConfig()) for _ in range(3)]
    for r in runs:
        runtime.wait(r, running)
    with pytest.raises(RuntimeLimitError, match="limit per browser tab is 3"):
        runtime.start("greedy", CounterTrainer, CounterConfig())
    paused = runtime.start("greedy", CounterTrainer, CounterConfig(), run=False)  # paused jobs only hold memory
    with pytest.raises(RuntimeLimitError, match="limit per browser tab is 3"):
        runtime.resume(paused)
    runs.append(paused)
    runs.append(runtime.start("greedy", CounterTrainer, CounterConfig(), run=False))
    with pytest.raises(RuntimeLimitError, match="already holds 5 runs"):
        runtime.start("greedy", CounterTrainer, CounterConfig(), run=False)
    for r in runs:
        runtime.release(r)
    big = runtime.start("big", HugeTrainer, CounterConfig())
    snap = runtime.wait(big, lambda s: s.state.is_terminal)
    assert snap.state is JobState.FAILED and "parameters" in snap.reason


def test_rate_cap_limits_steps_per_second(runtime):
    r = runtime.start("slow", CounterTrainer, CounterConfig(), steps_per_s=40)
    runtime.wait(r, lambda s: s.step >= 2)
    (steps,) = progress_over(runtime, [r], 1.0)
    assert 25 <= steps <= 50, steps
    runtime.set_rate(r, None)
    runtime.wait(r, lambda s: s.step > 500)
    runtime.release(r)


def test_step_budget_finishes_the_job(runtime):
    r = runtime.start("budget", CounterTrainer, CounterConfig(), max_steps=50)
    snap = runtime.wait(r, lambda s: s.state.is_terminal)
    assert (snap.state, snap.step) == (JobState.DONE, 50)
    runtime.release(r)


def test_idle_jobs_are_paused_then_released():
    rt = Runtime(workers=1, limits=Limits(idle_pause_s=0.4, idle_release_s=1.5), janitor_interval_s=0.1)
    try:
        r = rt.start("gone", CounterTrainer, CounterConfig())
        snap = rt.wait(r, lambda s: s.state is JobState.PAUSED and s.step > 0, timeout=5)  # wait() is not a viewer
        assert "no page watching" in snap.reason
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and r in rt.runs("gone"):
            time.sleep(0.1)
        with pytest.raises(UnknownRunError, match="released after"):
            rt.snapshot(r)
    finally:
        rt.shutdown()


def test_a_crashed_worker_fails_its_job_and_is_replaced():
    rt = Runtime(workers=1)
    try:
        doomed = rt.start("s", CounterTrainer, CounterConfig(crash_at=30))
        snap = rt.wait(doomed, lambda s: s.state.is_terminal, timeout=60)
        assert snap.state is JobState.FAILED and "stopped unexpectedly" in snap.reason
        fine = rt.start("s", CounterTrainer, CounterConfig())
        rt.wait(fine, lambda s: s.step > 10, timeout=60)
    finally:
        rt.shutdown()


def test_workers_never_import_streamlit_even_when_the_server_has(runtime):
    import streamlit  # noqa: F401  (the server process has it; its workers must not)

    r = runtime.start("probe", ModulesProbe, CounterConfig(), run=False)
    snap = runtime.wait(r, lambda s: "ui_modules" in s.payload)
    assert snap.payload["ui_modules"] == ()
    runtime.release(r)


def test_shutdown_leaves_no_process_or_thread_behind():
    before = set(threading.enumerate())
    rt = Runtime(workers=2)
    rt.wait(rt.start("s", CounterTrainer, CounterConfig()), lambda s: s.step > 0)
    workers = [w.process for w in rt.executor._workers]
    rt.shutdown()
    assert all(p.poll() is not None for p in workers), "a worker process is still alive"
    assert set(threading.enumerate()) <= before, "a runtime thread is still alive"


def test_workers_exit_when_the_server_process_is_killed(tmp_path):
    """No orphans even without a clean shutdown: a worker sees its socket close and exits."""
    script = (
        "import os, sys, time\n"
        "from engine.runtime import Runtime\n"
        "from tests.engine.trainers import CounterConfig, CounterTrainer\n"
        "rt = Runtime(workers=2)\n"
        "rt.wait(rt.start('s', CounterTrainer, CounterConfig()), lambda s: s.step > 0)\n"
        "print(' '.join(str(w.process.pid) for w in rt.executor._workers), flush=True)\n"
        "time.sleep(60)\n"
    )
    server = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in server.stdout.readline().split()]
    assert len(pids) == 2
    server.kill()  # SIGKILL: no atexit, no shutdown message
    server.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids), "a worker outlived the server"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has exited, it only waits to be reaped
        return stat.read().split()[2] != "Z"
