"""The Playground page through the real router: link settings, presets, validation, and the live job in the real runtime."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from engine.runtime import get_runtime
from tests.app.live import TIMEOUT_S, Status, assert_clean, click, pause_holds, running, status, until

PAGE = "pages/playground.py"


def test_renders_with_defaults_and_writes_the_config_into_the_url(page: AppTest) -> None:
    assert page.title and page.title[0].value == "Playground"
    assert page.selectbox(key="playground.dataset").value == "spiral"
    assert page.number_input(key="playground.n_layers").value == 2
    assert status(page) == ("paused", 0), "the network is built, untrained and paused, before Run is pressed"
    params = page.query_params
    assert (params["learning_rate"], params["hidden"], params["dataset"], params["features"]) == ("0.03", "4,2", "spiral", "x1,x2")
    assert params.get("run"), "the paused run is in the URL"


def test_a_link_loads_its_settings_into_the_widgets(open_page: Callable[..., AppTest]) -> None:
    at = open_page(dataset="xor", hidden="8", activations="relu", keep_probs="1.0", batch_norm="false", learning_rate="0.3")
    assert_clean(at)
    assert not at.warning, [w.value for w in at.warning]
    assert at.selectbox(key="playground.dataset").value == "xor"
    assert at.number_input(key="playground.n_layers").value == 1
    assert at.number_input(key="playground.hidden.0").value == 8
    assert at.selectbox(key="playground.activations.0").value == "relu"
    assert at.select_slider(key="playground.learning_rate").value == 0.3
    assert (at.query_params["hidden"], at.query_params["learning_rate"]) == ("8", "0.3")


def test_a_bad_link_shows_a_warning_and_the_defaults(open_page: Callable[..., AppTest]) -> None:
    at = open_page(learning_rate="banana", dataset="xor")
    assert_clean(at)
    assert any("defaults" in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.select_slider(key="playground.learning_rate").value == 0.03
    assert at.selectbox(key="playground.dataset").value == "spiral", "an invalid link loads none of its settings"
    assert at.query_params["learning_rate"] == "0.03", "the URL is rewritten to the config in use"


def test_run_trains_and_pause_stops(page: AppTest) -> None:
    run_id, first = running(page, "playground")
    epochs = [m for m in page.metric if m.label == "Epoch"]
    assert [m.value for m in epochs] == [f"{first.epoch:,}"], "the Epoch counter follows the status line"
    until(page, lambda s: s.state == "running" and s.epoch > first.epoch)
    pause_holds(page, "playground", seconds=0.3)
    assert page.query_params["run"] == run_id


def test_hot_change_keeps_the_running_model(page: AppTest) -> None:
    run_id, _ = running(page, "playground")
    page.select_slider(key="playground.learning_rate").set_value(0.1).run()
    assert_clean(page)
    runtime = get_runtime()
    snap = runtime.wait(run_id, lambda s: any(e.name == "learning_rate" for e in s.events), TIMEOUT_S)
    event = next(e for e in snap.events if e.name == "learning_rate")
    assert (event.old, event.new) == (0.03, 0.1)
    assert event.step > 0, "a hot change must not rebuild the model"
    later = runtime.wait(run_id, lambda s: s.step > event.step + 2, TIMEOUT_S)
    assert any(e.name == "learning_rate" for e in later.events), "the event survives: no rebuild"
    assert runtime.config(run_id).learning_rate == 0.1
    assert page.query_params["learning_rate"] == "0.1" and page.query_params["run"] == run_id
    until(page, lambda s: s.state == "running")


def test_structural_change_rebuilds_the_run(page: AppTest) -> None:
    run_id, _ = running(page, "playground")
    click(page, "playground.do.pause")
    until(page, lambda s: s.state == "paused" and s.epoch > 0)
    page.selectbox(key="playground.activations.0").set_value("relu").run()
    assert until(page, lambda s: s.epoch == 0) == Status("paused", 0)
    config = get_runtime().config(run_id)
    assert config.activations == ("relu", "tanh")
    assert page.query_params["run"] == run_id and page.query_params["activations"] == "relu,tanh"


def test_a_preset_sets_the_whole_panel(page: AppTest) -> None:
    page.selectbox(key="playground.preset").set_value("zero_init").run()
    assert_clean(page)
    assert page.selectbox(key="playground.init").value == "xavier", "choosing a scenario alone changes nothing"
    click(page, "playground.do.load_preset")
    assert page.selectbox(key="playground.init").value == "zeros"
    assert page.selectbox(key="playground.dataset").value == "circle"
    assert page.number_input(key="playground.n_layers").value == 2
    assert page.select_slider(key="playground.learning_rate").value == 0.1
    assert any("Every unit starts equal" in c.value for c in page.caption), [c.value for c in page.caption]
    assert (page.query_params["init"], page.query_params["dataset"]) == ("zeros", "circle")


def test_bad_settings_give_a_message_not_an_exception(page: AppTest) -> None:
    checked = [c for c in page.checkbox if (c.key or "").startswith("playground.features.") and c.value]
    assert {c.key for c in checked} == {"playground.features.x1", "playground.features.x2"}
    for box in checked:
        box.uncheck()
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    assert any("at least one input feature" in e.value for e in page.error), [e.value for e in page.error]
    assert not [b for b in page.button if b.key == "playground.do.run"], "no live panel without a valid config"
    page.checkbox(key="playground.features.x1").check().run()
    assert_clean(page)
    assert page.query_params["features"] == "x1"


def test_regression_data_offers_regression_losses_and_trains(page: AppTest) -> None:
    page.selectbox(key="playground.loss").set_value("bce").run()
    assert_clean(page)
    page.selectbox(key="playground.dataset").set_value("plane").run()
    assert_clean(page)
    loss = page.selectbox(key="playground.loss")
    assert list(loss.options) == ["MSE", "MAE", "Huber"]
    assert loss.value == "mse", "a classification loss falls back to MSE on regression data"
    run_id, status = running(page, "playground")
    assert get_runtime().config(run_id).dataset == "plane"
    assert [m.value for m in page.metric if m.label == "Epoch"] == [f"{status.epoch:,}"]
    assert [m for m in page.metric if m.label == "Test mean squared error"], [m.label for m in page.metric]


GOOD_CSV = b"x1,x2,label\n" + b"\n".join(f"{x},{y},{int(x > 0)}".encode() for x, y in ((-3, 1), (-2, -2), (-4, 0.5), (-1.5, 3),
                                                                                      (2, 1), (3, -2), (4, 0), (1.5, 2.5)))


@pytest.mark.parametrize(("uploader", "file", "dataset"), [
    pytest.param("playground.do.csv", ("points.csv", GOOD_CSV, "text/csv"), "custom", id="csv-data"),
    pytest.param("playground.do.json", ("config.json", b'{"dataset": "xor"}', "application/json"), "xor", id="json-config"),
])
def test_an_upload_sets_the_panel(page: AppTest, uploader: str, file: tuple[str, bytes, str], dataset: str) -> None:
    page.file_uploader(key=uploader).set_value(file).run()
    assert_clean(page)
    assert page.selectbox(key="playground.dataset").value == dataset
    assert any("Loaded" in s.value for s in page.success)


def test_a_bad_upload_gives_a_message(page: AppTest) -> None:
    bad = b"x1,x2,label\n1,2,cat\n3,4,dog\n5,6,cat\n7,8,dog\n"
    page.file_uploader(key="playground.do.csv").set_value(("bad.csv", bad, "text/csv")).run()
    assert not page.exception
    assert any("could not be used" in e.value and "row 2" in e.value for e in page.error), [e.value for e in page.error]
    assert page.selectbox(key="playground.dataset").value == "spiral", "nothing changed"


def test_own_points_can_be_cleared(open_page: Callable[..., AppTest]) -> None:
    at = open_page(dataset="custom", points="1,1,0,2,2,1,-1,-1,0,-2,-2,1,3,3,0")
    assert at.selectbox(key="playground.dataset").value == "custom"
    at.button(key="playground.do.clear_points").click().run()
    assert_clean(at)
    assert at.selectbox(key="playground.dataset").value == "spiral"


def test_a_link_with_an_out_of_range_value_falls_back_with_a_warning(open_page: Callable[..., AppTest]) -> None:
    at = open_page(optimizer="momentum", momentum="0.995")
    assert not at.exception
    assert any("momentum must be between" in w.value for w in at.warning), [w.value for w in at.warning]
