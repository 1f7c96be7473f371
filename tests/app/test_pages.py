"""Every page renders through the real router, and the home page's live panel drives the real runtime."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from engine.runtime import get_runtime
from tests.app.live import TIMEOUT_S, Status, app, assert_clean, click, pause_holds, running, status, until
from ui.catalogue import PAGES


@pytest.fixture
def home() -> Iterator[AppTest]:
    at = app().run()
    assert_clean(at)
    yield at
    run_id = at.query_params.get("run")
    if run_id:  # free the worker for the next test
        get_runtime().release(run_id)


PAGE_CASES = [pytest.param("pages/home.py", "Neural network playground", id="home")] + [
    pytest.param(p.file, p.title, id=p.key) for p in PAGES
]


@pytest.mark.parametrize(("file", "title"), PAGE_CASES)
def test_page_renders(file: str, title: str) -> None:
    at = app().run()  # the first run registers the navigation, which switch_page resolves against
    assert_clean(at)
    at.switch_page(file).run()
    assert_clean(at)
    assert at.title and at.title[0].value.startswith(title)  # the nav label, perhaps spelled out after it
    assert any("torch" in c.value for c in at.sidebar.caption), "the device badge is missing from the sidebar"


def test_home_run_pause_step_reset(home: AppTest) -> None:
    assert status(home) == ("paused", 0), "the page opens with its model built and paused at epoch 0"
    run_id, first = running(home, "home")
    assert get_runtime().snapshot(run_id).run_id == run_id
    assert [b.key for b in home.button if b.key == "home.do.pause"], "a running job shows Pause"
    until(home, lambda s: s.state == "running" and s.epoch > first.epoch)

    paused = pause_holds(home, "home")
    assert home.query_params["run"] == run_id

    click(home, "home.do.step")
    stepped = until(home, lambda s: s.epoch != paused.epoch)
    time.sleep(0.3)
    assert until(home.run(), lambda s: True) == stepped == Status("paused", paused.epoch + 1)

    click(home, "home.do.reset")
    assert until(home, lambda s: s.epoch == 0) == Status("paused", 0)
    assert home.query_params["run"] == run_id, "reset keeps the same run"


def test_hot_change_is_applied_and_marked(home: AppTest) -> None:
    run_id, _ = running(home, "home")
    home.select_slider(key="home.learning_rate").set_value(0.1).run()
    assert_clean(home)
    snap = get_runtime().wait(run_id, lambda s: any(e.name == "learning_rate" for e in s.events), TIMEOUT_S)
    event = next(e for e in snap.events if e.name == "learning_rate")
    assert (event.old, event.new) == (0.01, 0.1)
    assert event.step > 0, "a hot change must not rebuild the model"
    assert get_runtime().config(run_id).learning_rate == 0.1
    assert home.query_params["run"] == run_id
    until(home, lambda s: s.state == "running")


def test_stale_run_in_url_shows_a_warning() -> None:
    at = app()
    at.query_params["run"] = "doesnotexist"
    at.run()
    assert_clean(at)
    assert any("gone" in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.query_params.get("run") != "doesnotexist", "the stale run id is dropped from the URL"
    assert status(at) == ("paused", 0) and not at.button(key="home.do.run").disabled, "a fresh run replaces it"


def test_structural_change_rebuilds_the_run(home: AppTest) -> None:
    run_id, _ = running(home, "home")
    click(home, "home.do.pause")
    until(home, lambda s: s.state == "paused" and s.epoch > 0)
    home.selectbox(key="home.activation").set_value("relu").run()
    assert until(home, lambda s: s.epoch == 0) == Status("paused", 0)
    assert get_runtime().config(run_id).activation == "relu"
    assert home.query_params["run"] == run_id

    # While running: a hot change leaves an event; a rebuild clears it and keeps the job running.
    running(home, "home")
    home.select_slider(key="home.learning_rate").set_value(0.1).run()
    get_runtime().wait(run_id, lambda s: any(e.name == "learning_rate" for e in s.events), TIMEOUT_S)
    home.selectbox(key="home.activation").set_value("gelu").run()
    assert_clean(home)
    snap = get_runtime().wait(run_id, lambda s: not s.events and s.state == "running", TIMEOUT_S)
    assert snap.run_id == run_id
    config = get_runtime().config(run_id)
    assert (config.activation, config.learning_rate) == ("gelu", 0.1)
    until(home, lambda s: s.state == "running")


def test_button_on_a_released_run_shows_a_warning(home: AppTest) -> None:
    run_id, _ = running(home, "home")
    click(home, "home.do.pause")
    get_runtime().release(run_id, "it was released after 30 minutes with no page watching it.")
    home.button(key="home.do.run").click().run()  # the page still shows the released run's controls
    assert_clean(home)
    assert any("gone" in w.value and "released after 30 minutes" in w.value for w in home.warning)
    assert home.query_params.get("run") != run_id, "the released run is forgotten (a fresh one replaces it)"


def test_settings_survive_a_visit_to_another_page() -> None:
    at = app().run()
    at.switch_page("pages/playground.py").run()
    at.select_slider(key="playground.learning_rate").set_value(0.3).run()
    at.switch_page("pages/optimizers.py").run()
    at.number_input(key="optimizers.learning_rate.1").set_value(0.05).run()
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/playground.py").run()
    assert_clean(at)
    assert at.select_slider(key="playground.learning_rate").value == 0.3
    at.switch_page("pages/optimizers.py").run()
    assert_clean(at)
    assert at.number_input(key="optimizers.learning_rate.1").value == 0.05
    for run_id in get_runtime().runs(at.session_state["session_id"]):
        get_runtime().release(run_id)
