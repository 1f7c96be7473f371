"""The Optimizers page through the real router: the race in the real runtime, its controls, the
link, presets, and every section rendering cleanly."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from engine.optim.race import RaceTrainer
from engine.runtime import JobState, get_runtime
from tests.app.live import assert_clean, click, status, until

PAGE = "pages/optimizers.py"
SECTIONS = ("Learning-rate sweep", "Schedules", "Averages (EWA)", "A network's landscape")


def race_config(at: AppTest):
    run_id = at.query_params["run"]
    spec = get_runtime().spec(run_id)
    assert spec.trainer is RaceTrainer
    return spec.config


def test_renders_the_race_paused_at_the_start_with_the_config_in_the_url(page: AppTest) -> None:
    assert page.title[0].value == "Optimizers"
    assert status(page) == ("paused", 0)
    assert page.query_params["surface"] == "quadratic" and page.query_params["optimizers"] == "sgd,momentum,adam"
    assert len(page.get("image")) == 1, "the race map is drawn before Run"
    assert any("v \\leftarrow 0.9\\, v + g" in latex.value for latex in page.latex), "the rules show each racer's numbers"


def test_run_races_to_the_end_and_the_standings_show_it(page: AppTest) -> None:
    page.number_input(key="optimizers.steps").set_value(40).run()
    page.select_slider(key="optimizers.speed").set_value("max").run()
    click(page, "optimizers.do.run")
    until(page, lambda s: s.state == "done" and s.epoch == 40)
    assert any("Race finished: 40 steps" in i.value for i in page.info), [i.value for i in page.info]
    table = page.dataframe[0].value
    assert list(table["optimizer"]) == ["1 SGD η=0.039", "2 momentum η=0.01", "3 Adam η=1"]


def test_a_preset_sets_every_racer_and_rebuilds_the_race(page: AppTest) -> None:
    click(page, "optimizers.do.preset.Escaping a saddle point")
    assert page.selectbox(key="optimizers.surface").value == "saddle"
    config = race_config(page)
    assert config.surface == "saddle" and config.optimizers == ("sgd", "momentum", "adam", "newton")
    assert (config.start_x, config.start_y) == (-1.8, 0.02)
    assert until(page, lambda s: True) == ("paused", 0)


def test_add_and_remove_optimizers(page: AppTest) -> None:
    click(page, "optimizers.do.add")
    assert race_config(page).optimizers == ("sgd", "momentum", "adam", "nesterov")
    click(page, "optimizers.do.remove.0")
    config = race_config(page)
    assert config.optimizers == ("momentum", "adam", "nesterov")
    assert config.learning_rates[:2] == (0.01, 1.0), "the others keep their own settings"


def test_changing_the_surface_moves_the_start_to_that_surface(page: AppTest) -> None:
    page.selectbox(key="optimizers.surface").set_value("rosenbrock").run()
    assert_clean(page)
    assert (page.number_input(key="optimizers.start_x").value, page.number_input(key="optimizers.start_y").value) == (-1.5, 2.5)
    assert race_config(page).surface == "rosenbrock"


def test_a_racer_hyper_parameter_changes_the_running_race(page: AppTest) -> None:
    page.number_input(key="optimizers.beta1.2").set_value(0.5).run()
    assert_clean(page)
    assert race_config(page).beta1s == (0.9, 0.9, 0.5)


def test_a_bad_link_gets_a_message_and_the_defaults(open_page: Callable[..., AppTest]) -> None:
    at = open_page(learning_rates="0.1")
    assert_clean(at)
    assert any("not valid" in w.value and "one value per optimizer" in w.value for w in at.warning)
    assert race_config(at).learning_rates == (0.039, 0.01, 1.0)


def test_a_link_restores_the_race(open_page: Callable[..., AppTest]) -> None:
    at = open_page(surface="beale", start_x="1.0", start_y="1.4", optimizers="adam,rmsprop", learning_rates="0.1,0.01",
                   momenta="0.9,0.9", beta1s="0.8,0.9", beta2s="0.999,0.999", rhos="0.99,0.9", epsilons="1e-08,1e-08",
                   weight_decays="0.01,0.01", bias_corrections="true,true")
    assert_clean(at)
    config = race_config(at)
    assert config.surface == "beale" and config.optimizers == ("adam", "rmsprop") and config.beta1s == (0.8, 0.9)
    assert config.rhos == (0.99, 0.9)


def test_diverging_racer_is_reported_and_the_others_finish(page: AppTest) -> None:
    click(page, "optimizers.do.preset.SGD: η too small, right, too large")
    page.select_slider(key="optimizers.speed").set_value("max").run()
    click(page, "optimizers.do.run")
    until(page, lambda s: s.state == "done")
    table = page.dataframe[0].value
    assert list(table["diverged at step"])[2] != "—" and list(table["diverged at step"])[:2] == ["—", "—"]
    snap = get_runtime().snapshot(page.query_params["run"])
    assert snap.state is JobState.DONE and snap.payload["diverged_at"][2] > 0


@pytest.mark.parametrize("section", SECTIONS)
def test_every_section_renders_cleanly(page: AppTest, section: str) -> None:
    page.session_state["optimizers.do.section"] = section
    page.run()
    assert_clean(page)
    assert not [m for m in page.markdown if m.value.startswith("**paused** · step")], "only the open section is drawn"


def test_the_race_settings_survive_a_visit_to_another_section(page: AppTest) -> None:
    page.number_input(key="optimizers.learning_rate.0").set_value(0.05).run()
    page.session_state["optimizers.do.section"] = "Schedules"
    page.run()
    time.sleep(0.1)
    page.session_state["optimizers.do.section"] = "Race"
    page.run()
    assert_clean(page)
    assert page.number_input(key="optimizers.learning_rate.0").value == 0.05
    assert race_config(page).learning_rates[0] == 0.05
