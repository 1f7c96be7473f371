"""The Labs page through the real router and the real runtime: the gallery groups the labs by topic, a lab
runs to a verdict equal to its rule applied to the measured figures, a changed knob reruns, bad settings and a
failing lab get messages, results survive a visit elsewhere, and the link opens the lab's page with its setup.

Fake labs (tests/app/labs_fake.py) keep these tests quick and independent of the engine's labs; the last
test runs one real lab with its quick settings."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

import ui.labs_run
from engine.config import ConfigError
from engine.labs import registry
from engine.labs.base import LabResult, run_to_end
from engine.runtime import get_runtime
from tests.app import labs_fake
from tests.app.live import assert_clean
from ui.labs_result import plain

PAGE = "pages/labs.py"
TIMEOUT_S = 30.0


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    for lab in labs_fake.FAKES:
        monkeypatch.setitem(registry.LABS, lab.key, lab)
    monkeypatch.setattr(ui.labs_run, "TRAINER", labs_fake.FakeLabTrainer)


def texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error] + [w.value for w in at.warning]


def wait_for(at: AppTest, needle: str, timeout: float = TIMEOUT_S) -> AppTest:
    """Rerun the page until some text on it contains `needle` (the job ends in a worker process)."""
    deadline = time.monotonic() + timeout
    while not any(needle in t for t in texts(at)):
        assert not at.exception, [e.value for e in at.exception]
        assert time.monotonic() < deadline, f"{needle!r} never appeared; texts: {texts(at)}"
        time.sleep(0.1)
        at.run()
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_lab(at: AppTest, key: str) -> AppTest:
    click(at, f"labs.do.{key}.open")
    assert at.header[0].value == registry.LABS[key].title
    return at


def knob_message(name: str, value) -> str:
    knob = next(k for k in labs_fake.SLOPE.knobs if k.name == name)
    with pytest.raises(ConfigError) as refused:
        knob.check(value)
    return str(refused.value)


def verdict_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Verdict:"))


def test_the_gallery_groups_the_labs_by_topic(fakes, page):
    assert page.title[0].value == "Labs"
    topics = [s.value for s in page.subheader]
    expected = [registry.TOPICS[t] for t in registry.by_topic()]
    assert topics == expected, "one section per topic with labs, in the registry's order"
    assert "Initialisation" in topics and "Losses and imbalance" in topics
    assert topics.index("Initialisation") < topics.index("Losses and imbalance")
    shown = texts(page)
    for lab in labs_fake.FAKES:
        assert plain(lab.claim) in shown and f"**Verdict rule.** {plain(lab.rule)}" in shown
        assert page.button(key=f"labs.do.{lab.key}.compute").label == "Run"
    assert any(c.startswith(f"{len(registry.LABS)} labs in ") for c in shown)
    page.session_state["labs.topic"] = "Losses and imbalance"
    page.run()
    assert [s.value for s in page.subheader] == ["Losses and imbalance"], "a topic chosen: only its labs"
    assert labs_fake.BARS.claim in texts(page) and labs_fake.SLOPE.claim not in texts(page)


def test_a_lab_runs_to_the_verdict_its_rule_gives(fakes, page):
    click(page, "labs.do.fake_slope.compute")
    wait_for(page, "**Last run.**")
    expected = run_to_end(labs_fake.SLOPE).verdict
    assert f"**Last run.** {plain(expected.because)}" in texts(page)
    assert any("supported" in m.value and "badge" in m.value for m in page.markdown), "the card shows its verdict badge"

    open_lab(page, "fake_slope")
    assert_clean(page)
    assert verdict_line(page) == f"**Verdict: {expected.outcome}**, because {plain(expected.because)}"
    assert f"**Rule.** {plain(labs_fake.SLOPE.rule)}" in texts(page)
    spec = page.get("plotly_chart")[0].proto.spec
    assert '"measured"' in spec and '"flat"' in spec and '"log"' in spec, "both series, on log axes"
    figures = page.dataframe[0].value
    assert list(figures["figure"]) == ["ratio", "points"] and list(figures["value"]) == ["16", "5"]
    assert list(page.dataframe[1].value["y"]) == [1.0, 2.0, 4.0, 8.0, 16.0]
    downloads = {d.label for d in page.get("download_button")}
    assert downloads == {"Figures (CSV)", "Table (CSV)", "Plot (PNG)"}


def test_a_changed_knob_reruns_to_another_verdict(fakes, page):
    open_lab(page, "fake_slope")
    click(page, "labs.do.fake_slope.compute")
    wait_for(page, "**Verdict: supported**")
    page.segmented_control(key="labs.fake_slope.direction").set_value("down").run()
    assert any("settings of the last run (Direction changed" in c for c in texts(page)), "a stale result is labelled"
    click(page, "labs.do.fake_slope.compute")
    wait_for(page, "**Verdict: not supported**")
    expected = run_to_end(labs_fake.SLOPE, {"direction": "down"}).verdict
    assert verdict_line(page) == f"**Verdict: not supported**, because {plain(expected.because)}"
    assert not any("settings of the last run" in c for c in texts(page))


def test_quick_settings_and_defaults(fakes, page):
    open_lab(page, "fake_slope")
    assert page.button(key="labs.do.fake_slope.defaults").disabled
    click(page, "labs.do.fake_slope.small")
    assert page.slider(key="labs.fake_slope.points").value == 2
    click(page, "labs.do.fake_slope.defaults")
    assert page.slider(key="labs.fake_slope.points").value == 5


def test_a_bad_knob_value_gets_the_labs_message(fakes, page):
    page.session_state["labs.fake_slope.points"] = 999
    page.run()
    message = knob_message("points", 999)  # the lab's own words, e.g. "Points must be at most 50, not 999."
    assert any("Open the lab to fix" in c and message in c for c in texts(page))
    assert page.button(key="labs.do.fake_slope.compute").disabled, "the card cannot run bad settings"
    open_lab(page, "fake_slope")
    assert not page.exception
    assert any(f"{message} It is back to its default, 5." in w.value for w in page.warning)
    assert page.slider(key="labs.fake_slope.points").value == 5
    assert not page.button(key="labs.do.fake_slope.compute").disabled


def test_a_failing_lab_shows_its_reason(fakes, page):
    open_lab(page, "fake_fail")
    click(page, "labs.do.fake_fail.compute")
    wait_for(page, "The lab stopped:")
    message = next(e.value for e in page.error)
    assert "the data ran out" in message and "Traceback" not in message
    click(page, "labs.do.back")
    assert any("**Last run failed.**" in c for c in texts(page))


def test_results_stay_across_labs_and_pages(fakes, page):
    for key in ("fake_slope", "fake_bars"):
        click(page, f"labs.do.{key}.compute")
    wait_for(page, "**Last run.** the gap is 0.2.")
    wait_for(page, "**Last run.** the response grew")
    page.switch_page("pages/positional.py").run()
    page.switch_page("pages/labs.py").run()
    assert_clean(page)
    assert any("Run in this tab: 2 (1 supported, 1 mixed)" in c for c in texts(page))
    open_lab(page, "fake_bars")
    assert verdict_line(page) == "**Verdict: mixed**, because the gap is 0.2."


def test_open_in_page_loads_the_labs_setup(fakes, page):
    open_lab(page, "fake_link")
    page.select_slider(key="labs.fake_link.scale").set_value(0.3).run()
    assert page.button(key="labs.do.fake_link.link").label == "Open in Playground"
    click(page, "labs.do.fake_link.link")
    assert page.title[0].value == "Playground"
    assert page.session_state["playground.learning_rate"] == 0.3 and page.session_state["playground.n_points"] == 321


def test_a_real_lab_runs_with_its_quick_settings(page):
    real = [lab for lab in registry.LABS.values() if lab.small and not lab.key.startswith("fake_")]
    if not real:
        pytest.skip("no lab with quick settings is registered yet")
    lab = real[0]
    open_lab(page, lab.key)
    click(page, f"labs.do.{lab.key}.small")
    click(page, f"labs.do.{lab.key}.compute")
    wait_for(page, "**Verdict:", timeout=180)
    assert_clean(page)
    kept = LabResult.from_payload(page.session_state[f"labs:{lab.key}.outcome"]["result"])
    expected = lab.judge(kept.measured.figures, kept.params)
    assert kept.params == lab.params(lab.small), "it ran with the quick settings"
    assert verdict_line(page) == f"**Verdict: {expected.outcome}**, because {plain(expected.because)}"
    assert page.get("plotly_chart"), "the evidence is plotted"


def test_the_cards_run_uses_the_settings_chosen_for_the_lab(fakes, page):
    open_lab(page, "fake_slope")
    page.segmented_control(key="labs.fake_slope.direction").set_value("down").run()
    click(page, "labs.do.back")
    click(page, "labs.do.fake_slope.compute")
    wait_for(page, "**Last run.**")
    expected = run_to_end(labs_fake.SLOPE, {"direction": "down"}).verdict
    assert f"**Last run.** {plain(expected.because)}" in texts(page)
    open_lab(page, "fake_slope")
    assert page.segmented_control(key="labs.fake_slope.direction").value == "down", "the lab keeps its settings"


def test_a_link_opens_a_lab_with_its_settings(fakes, open_page):
    at = open_page(lab="fake_slope", values='{"direction": "down", "scale": 3}')
    assert_clean(at)
    assert at.header[0].value == labs_fake.SLOPE.title
    assert at.segmented_control(key="labs.fake_slope.direction").value == "down"
    assert at.select_slider(key="labs.fake_slope.scale").value == 3.0
    assert at.query_params["lab"] == "fake_slope" and '"direction": "down"' in at.query_params["values"]
    at.segmented_control(key="labs.fake_slope.direction").set_value("up").run()
    assert '"direction": "up"' in at.query_params["values"], "the link follows the settings"
    click(at, "labs.do.back")
    assert "lab" not in at.query_params and "values" not in at.query_params, "the gallery has no link of its own"


def test_a_bad_link_gets_the_labs_message_and_the_gallery(fakes, open_page):
    at = open_page(lab="fake_slope", values='{"points": 999}')
    assert not at.exception and not at.header
    assert any(knob_message("points", 999) in w.value and "showing all labs" in w.value for w in at.warning)
    assert at.subheader, "the gallery is shown"


def test_run_all_runs_every_lab_two_at_a_time(fakes, page, monkeypatch):
    for key in [k for k in registry.LABS if not k.startswith("fake_")]:
        monkeypatch.delitem(registry.LABS, key)  # only the quick fakes
    page.run()
    assert page.button(key="labs.do.queue.start").label == "Run all (4)"
    click(page, "labs.do.queue.start")
    runtime = get_runtime()
    runs = [runtime.snapshot(r) for r in runtime.runs(page.session_state["session_id"])
            if runtime.spec(r).trainer is labs_fake.FakeLabTrainer]  # not the home page's warm-up
    waiting = page.session_state["labs:queue"]
    assert len(runs) >= ui.labs_run.AT_ONCE and len(runs) + len(waiting) == 4, "every lab is either started or waiting"
    assert sum(not s.state.is_terminal for s in runs) <= ui.labs_run.AT_ONCE, "at most two at a time"
    wait_for(page, "Run in this tab: 3 (2 supported, 1 mixed).")
    wait_for(page, "**Last run failed.**")
    assert page.button(key="labs.do.queue.start").label == "Run all (0)" and page.button(key="labs.do.queue.start").disabled
    assert not any("waiting" in t for t in texts(page))


@pytest.mark.slow
@pytest.mark.parametrize("key", [k for k in registry.LABS if registry.LABS[k].small])
def test_every_labs_result_is_shown(page, key):
    """Each registered lab's quick result (computed here, in this process) drawn by the page without an error."""
    lab = registry.LABS[key]
    result = run_to_end(lab, lab.small)
    page.session_state[f"labs:{key}.outcome"] = {"result": result.to_payload(), "seconds": 1.0}
    page.session_state["labs:chosen"] = key
    page.run()
    assert_clean(page)
    assert verdict_line(page) == f"**Verdict: {result.verdict.outcome}**, because {plain(result.verdict.because)}"
    assert page.get("plotly_chart") and len(page.dataframe) == 2
    assert {d.label for d in page.get("download_button")} == {"Figures (CSV)", "Table (CSV)", "Plot (PNG)"}
