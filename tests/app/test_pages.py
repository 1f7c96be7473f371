"""Every page renders through the real router, and the home page's live panel drives the real runtime."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from streamlit.testing.v1 import AppTest

from engine.runtime import get_runtime
from ui.catalogue import PAGES

ROOT = Path(__file__).resolve().parents[2]
STATUS = re.compile(r"^\*\*(\w+)\*\* · epoch ([\d,]+)")
TIMEOUT_S = 10.0


class Status(NamedTuple):
    state: str
    epoch: int


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def _assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _status(at: AppTest) -> Status | None:
    """The live panel's status line ("**running** · epoch 1,045 · loss ..."), parsed."""
    for markdown in at.markdown:
        if match := STATUS.match(markdown.value):
            return Status(match[1], int(match[2].replace(",", "")))
    return None


def _until(at: AppTest, ok: Callable[[Status], bool], timeout: float = TIMEOUT_S) -> Status:
    """Rerun the page until its status line satisfies `ok` (the worker confirms asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        _assert_clean(at)
        status = _status(at)
        if status is not None and ok(status):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"status never satisfied the condition in {timeout} s; last: {status}")
        time.sleep(0.1)
        at.run()


def _click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    _assert_clean(at)
    return at


@pytest.fixture
def home() -> Iterator[AppTest]:
    at = _app().run()
    _assert_clean(at)
    yield at
    run_id = at.query_params.get("run")
    if run_id:  # free the worker for the next test
        get_runtime().release(run_id)


def _running(at: AppTest) -> tuple[str, Status]:
    """Press Run and wait until the job has taken a few epochs; returns (run id, status)."""
    _click(at, "home.run")
    status = _until(at, lambda s: s.state == "running" and s.epoch > 0)
    run_id = at.query_params["run"]
    assert isinstance(run_id, str) and run_id
    return run_id, status


PAGE_CASES = [pytest.param("pages/home.py", "Neural network playground", id="home")] + [
    pytest.param(p.file, p.title, id=p.key) for p in PAGES
]


@pytest.mark.parametrize(("file", "title"), PAGE_CASES)
def test_page_renders(file: str, title: str) -> None:
    at = _app().run()  # the first run registers the navigation, which switch_page resolves against
    _assert_clean(at)
    at.switch_page(file).run()
    _assert_clean(at)
    assert at.title and at.title[0].value == title
    assert any("torch" in c.value for c in at.sidebar.caption), "the device badge is missing from the sidebar"


def test_home_run_pause_step_reset(home: AppTest) -> None:
    assert _status(home) == ("paused", 0), "the page opens with its model built and paused at epoch 0"
    run_id, first = _running(home)
    assert get_runtime().snapshot(run_id).run_id == run_id
    assert [b.key for b in home.button if b.key == "home.pause"], "a running job shows Pause"
    _until(home, lambda s: s.state == "running" and s.epoch > first.epoch)

    _click(home, "home.pause")
    paused = _until(home, lambda s: s.state == "paused")
    time.sleep(0.5)
    assert _until(home.run(), lambda s: True) == paused, "a paused job must not train"
    assert home.query_params["run"] == run_id

    _click(home, "home.step")
    stepped = _until(home, lambda s: s.epoch != paused.epoch)
    time.sleep(0.3)
    assert _until(home.run(), lambda s: True) == stepped == Status("paused", paused.epoch + 1)

    _click(home, "home.reset")
    assert _until(home, lambda s: s.epoch == 0) == Status("paused", 0)
    assert home.query_params["run"] == run_id, "reset keeps the same run"


def test_hot_change_is_applied_and_marked(home: AppTest) -> None:
    run_id, _ = _running(home)
    home.select_slider(key="home.learning_rate").set_value(0.1).run()
    _assert_clean(home)
    snap = get_runtime().wait(run_id, lambda s: any(e.name == "learning_rate" for e in s.events), TIMEOUT_S)
    event = next(e for e in snap.events if e.name == "learning_rate")
    assert (event.old, event.new) == (0.01, 0.1)
    assert event.step > 0, "a hot change must not rebuild the model"
    assert get_runtime().config(run_id).learning_rate == 0.1
    assert home.query_params["run"] == run_id
    _until(home, lambda s: s.state == "running")


def test_stale_run_in_url_shows_a_warning() -> None:
    at = _app()
    at.query_params["run"] = "doesnotexist"
    at.run()
    _assert_clean(at)
    assert any("gone" in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.query_params.get("run") != "doesnotexist", "the stale run id is dropped from the URL"
    assert _status(at) == ("paused", 0) and not at.button(key="home.run").disabled, "a fresh run replaces it"


def test_structural_change_rebuilds_the_run(home: AppTest) -> None:
    run_id, _ = _running(home)
    _click(home, "home.pause")
    _until(home, lambda s: s.state == "paused" and s.epoch > 0)
    home.selectbox(key="home.activation").set_value("relu").run()
    assert _until(home, lambda s: s.epoch == 0) == Status("paused", 0)
    assert get_runtime().config(run_id).activation == "relu"
    assert home.query_params["run"] == run_id

    # While running: a hot change leaves an event; a rebuild clears it and keeps the job running.
    _running(home)
    home.select_slider(key="home.learning_rate").set_value(0.1).run()
    get_runtime().wait(run_id, lambda s: any(e.name == "learning_rate" for e in s.events), TIMEOUT_S)
    home.selectbox(key="home.activation").set_value("gelu").run()
    _assert_clean(home)
    snap = get_runtime().wait(run_id, lambda s: not s.events and s.state == "running", TIMEOUT_S)
    assert snap.run_id == run_id
    config = get_runtime().config(run_id)
    assert (config.activation, config.learning_rate) == ("gelu", 0.1)
    _until(home, lambda s: s.state == "running")


def test_button_on_a_released_run_shows_a_warning(home: AppTest) -> None:
    run_id, _ = _running(home)
    _click(home, "home.pause")
    get_runtime().release(run_id, "it was released after 30 minutes with no page watching it.")
    home.button(key="home.run").click().run()  # the page still shows the released run's controls
    _assert_clean(home)
    assert any("gone" in w.value and "released after 30 minutes" in w.value for w in home.warning)
    assert home.query_params.get("run") != run_id, "the released run is forgotten (a fresh one replaces it)"
