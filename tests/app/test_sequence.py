"""The Sequence page through the real router: every section renders, the character model trains in the real
runtime (loss falls, samples appear), the sampling controls act, the cell's maps and formula hold for GRU and
LSTM, gradients through time and the exploding demo, the memory experiment, decoding, and bad pasted texts."""

from __future__ import annotations

import json
import math
import time

import pytest
from streamlit.testing.v1 import AppTest

from engine.runtime import get_runtime
from engine.sequence.charlm import CharLMTrainer
from tests.app.live import assert_clean, click, until

PAGE = "pages/sequence.py"
SECTIONS = ("Train a character model", "Inside the cell", "Gradients through time", "Memory range", "Decoding")
SMALL = {"hidden": 32, "seq_length": 16, "bptt": 16, "batch_size": 16}


def section(at: AppTest, name: str) -> AppTest:
    at.session_state["sequence.do.section"] = name
    at.run()
    assert_clean(at)
    return at


def small(at: AppTest, **changes) -> AppTest:
    """Shrink the model (one run per widget, as a learner would)."""
    for name, value in {**SMALL, **changes}.items():
        at.session_state[f"sequence.{name}"] = value
    at.run()
    assert_clean(at)
    return at


def figures(at: AppTest) -> str:
    return " ".join(json.dumps(json.loads(chart.proto.spec), ensure_ascii=False) for chart in at.get("plotly_chart"))


def texts(at: AppTest) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.warning])


def codes(at: AppTest) -> list[str]:
    return [c.value for c in at.code]


def wait_for(at: AppTest, ok, timeout: float = 60.0, what: str = "") -> AppTest:
    """Rerun the page until ok(at) (a job finishing in the runtime)."""
    deadline = time.monotonic() + timeout
    while not ok(at):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)
        at.run()
        assert_clean(at)
    return at


@pytest.mark.parametrize("name", SECTIONS)
def test_every_section_renders_cleanly(open_page, name):
    at = section(open_page(), name)
    assert at.title[0].value == "Sequence models"
    assert any(r"h_t = \tanh(W_h h_{t-1} + W_x x_t + b)" in x.value for x in at.latex), "the RNN formula heads the page"


def test_the_config_is_in_the_link_and_a_link_loads_its_model(open_page):
    at = open_page()
    assert at.query_params["cell"] == "lstm" and at.query_params["corpus"] == "dinosaurs"
    at = open_page(cell="gru", hidden="32", corpus="shakespeare")
    assert at.session_state["sequence.cell"] == "gru"
    spec = get_runtime().spec(at.query_params["run"])
    assert spec.trainer is CharLMTrainer and spec.config.cell == "gru" and spec.config.hidden == 32
    assert "Sonnets" in texts(at)


def test_a_shorter_window_shortens_the_bptt_length_with_it(open_page):
    at = open_page()
    at.slider(key="sequence.seq_length").set_value(20).run()
    assert_clean(at)
    assert at.slider(key="sequence.bptt").value == 20
    assert get_runtime().spec(at.query_params["run"]).config.bptt == 20
    at.slider(key="sequence.bptt").set_value(5).run()
    at.slider(key="sequence.seq_length").set_value(64).run()
    assert at.slider(key="sequence.bptt").value == 5, "a longer window leaves the BPTT length alone"


def test_a_short_training_lowers_the_loss_and_samples_appear(open_page):
    at = small(open_page())
    at.select_slider(key="sequence.speed").set_value("max").run()
    click(at, "sequence.do.run")
    run_id = at.query_params["run"]
    runtime = get_runtime()
    deadline = time.monotonic() + 60
    while True:
        snap = runtime.snapshot(run_id)
        steps, losses = snap.metric("loss")
        if len(losses) > 5 and losses[-3:].mean() < losses[0] - 0.5 and snap.payload.get("samples_update", 0) > 0:
            break
        assert time.monotonic() < deadline, f"the loss did not fall by 0.5 nats/char in 60 s: {losses[:3]} … {losses[-3:]}"
        time.sleep(0.3)
    assert losses[0] > 3.0, "an untrained model is close to a uniform guess (ln 53 = 3.97)"
    click(at, "sequence.do.pause")
    until(at, lambda s: s.state == "paused")
    at.run()
    assert_clean(at)
    assert "perplexity" in texts(at) and "characters read" in texts(at)
    live = codes(at)[0]
    names = [n for n in live.split("\n") if n]
    assert len(names) >= 3 and all(len(n) <= 40 for n in names), names
    assert math.isclose(snap.latest("perplexity"), math.exp(snap.latest("loss")), rel_tol=1e-6)


def test_sampling_controls_argmax_prefix_top_k_and_bad_prefix(open_page):
    at = small(open_page())
    click(at, "sequence.do.step")
    assert len(codes(at)[-1].split("\n")) == 5, "five samples by default"
    at.text_input(key="sequence.sample.prefix").set_value("Tyr").run()
    assert_clean(at)
    assert all(line.startswith("Tyr") for line in codes(at)[-1].split("\n"))
    at.toggle(key="sequence.sample.greedy").set_value(True).run()
    argmax = codes(at)[-1]
    assert "\n" not in argmax and argmax.startswith("Tyr")
    click(at, "sequence.do.train.resample")
    assert codes(at)[-1] == argmax, "argmax is deterministic"
    at.toggle(key="sequence.sample.greedy").set_value(False).run()
    at.number_input(key="sequence.sample.top_k").set_value(1).run()
    assert set(codes(at)[-1].split("\n")) == {argmax}, "top-1 sampling is the argmax"
    at.slider(key="sequence.temperature").set_value(1.5).run()
    assert get_runtime().spec(at.query_params["run"]).config.temperature == 1.5, "temperature is hot: applied to the job"
    at.text_input(key="sequence.sample.prefix").set_value("T€").run()
    assert not at.exception
    assert any("never saw" in w.value for w in at.warning), [w.value for w in at.warning]


@pytest.mark.parametrize(("cell", "maps"), [("gru", ("update gate z", "reset gate r", "candidate h̃")),
                                            ("lstm", ("forget gate f", "input gate i", "output gate o", "cell state c"))])
def test_inside_the_cell_shows_the_gates_and_the_formula_holds(open_page, cell, maps):
    at = small(open_page(), cell=cell)
    at = section(at, "Inside the cell")
    shown = figures(at)
    for title in ("hidden state h_t", *maps):
        assert title in shown, title
    assert len(at.get("plotly_chart")) == 1 + len(maps)
    assert len(at.get("image")) == 1, "the unrolled diagram is drawn"
    at.slider(key="sequence.inside.step").set_value(5).run()
    assert_clean(at)
    table = at.dataframe[0].value
    if cell == "gru":
        formula = table["(1 − z)·h_{t−1} + z·h̃"]
    else:
        formula = table["c_t = f·c_{t−1} + i·c̃"]
        expected = table["f"] * table["c_{t−1}"] + table["i"] * table["c̃"]
        assert (abs(formula - expected) < 2e-3).all(), "c_t = f ⊙ c_{t−1} + i ⊙ c̃"
        formula = table["o"] * formula.map(math.tanh)
    assert (abs(formula - table["h_t"]) < 2e-3).all(), "h_t is what the cell's formula says"
    assert "At step t = 5" in texts(at)
    at.text_input(key="sequence.inside.text.dinosaurs").set_value("Zuul§").run()
    assert not at.exception
    assert any("never seen" in w.value for w in at.warning)


def test_gradients_through_time_at_init_after_training_and_the_exploding_demo(open_page):
    at = small(open_page(), cell="rnn")
    click(at, "sequence.do.step")
    at = section(at, "Gradients through time")
    assert figures(at).count("at initialisation") >= 3, "RNN, GRU and LSTM at initialisation"
    reading = texts(at)
    assert "**RNN at initialisation**: at t = 0 the gradient is" in reading
    click(at, "sequence.do.gradients.measure")
    assert "RNN after training" in figures(at)
    at.select_slider(key="sequence.gradients.updates").set_value(10).run()
    click(at, "sequence.do.exploding.compute")
    wait_for(at, lambda a: "With clipping at 1" in texts(a), what="the exploding demo")
    result = texts(at)
    assert "Without clipping" in result and "first gradient norm" in result
    at.select_slider(key="sequence.gradients.w_h_scale").set_value(8.0).run()
    click(at, "sequence.do.exploding.compute")
    wait_for(at, lambda a: "training stopped" in texts(a), what="the overflowing demo")
    assert "became infinite at update 1" in texts(at) or "became NaN at update 1" in texts(at)


def test_the_memory_experiment_reports_what_happened(open_page):
    at = section(open_page(), "Memory range")
    at.multiselect(key="sequence.memory.models").set_value(["rnn", "gru"]).run()
    at.multiselect(key="sequence.memory.lengths").set_value([2, 5]).run()
    at.select_slider(key="sequence.memory.updates").set_value(50).run()
    at.select_slider(key="sequence.memory.hidden").set_value(16).run()
    click(at, "sequence.do.memory.compute")
    wait_for(at, lambda a: "What happened in this run" in texts(a), timeout=120, what="the memory experiment")
    result = texts(at)
    assert "**RNN**" in result and "**GRU**" in result and "The claim" in result
    assert "L = 2" in at.dataframe[0].value.columns and "L = 5" in at.dataframe[0].value.columns
    assert "Delayed recall" in figures(at)
    at.multiselect(key="sequence.memory.models").set_value([]).run()
    assert any("at least one model" in w.value for w in at.warning)


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("   \n  ", "empty"),
    ("Too short.", "needs 17"),
])
def test_bad_pasted_texts_get_a_message(open_page, text, message):
    at = small(open_page(), corpus="custom")
    at.text_area(key="sequence.text").set_value(text).run()
    assert not at.exception
    assert any(message in w.value for w in at.warning), [w.value for w in at.warning]


def test_huge_and_unusual_pasted_texts_are_used_with_notes(open_page):
    at = small(open_page(), corpus="custom")
    odd = "Cafe\u0301 \U0001F995 na\u00efve\r\nzero\u200bwidth\x07 \u6ce8\u610f\u529b " * 20
    at.text_area(key="sequence.text").set_value(odd).run()
    assert_clean(at)
    assert at.query_params["text"], "a short text travels in the link"
    assert "characters of your text" in texts(at)
    huge = "the quick brown fox jumps over the lazy dog. " * 6000  # 270,000 characters
    at.text_area(key="sequence.text").set_value(huge).run()
    assert_clean(at)
    assert any("only the first 200,000 are used" in i.value for i in at.info), [i.value for i in at.info]
    assert "text" not in at.query_params and "too long for the link" in texts(at)
    assert get_runtime().spec(at.query_params["run"]).config.corpus == "custom"


def test_decoding_shows_greedy_and_beam_results_with_the_tree(open_page):
    at = small(open_page())
    click(at, "sequence.do.step")
    at = section(at, "Decoding")
    shown = texts(at)
    assert "**Greedy:**" in shown and "**Beam search, k = 3:**" in shown
    table = at.dataframe[0].value
    assert 1 <= len(table) <= 3 and list(table["score"]) == sorted(table["score"], reverse=True)
    assert "The beam tree" in figures(at) and '"kept"' in figures(at) and '"pruned"' in figures(at)
    at.slider(key="sequence.decoding.k").set_value(1).run()
    assert "returns the greedy string" in texts(at)
    at.text_input(key="sequence.decoding.prefix").set_value("x\u00a7").run()
    assert not at.exception
    assert any("never saw" in w.value for w in at.warning)


def test_exploding_gradients_in_the_live_job_stop_with_a_reason(open_page):
    at = small(open_page(), cell="rnn", hidden=64, seq_length=128, bptt=128, clip=0.0, optimizer="sgd", learning_rate=1.0,
               w_h_scale=10.0)
    click(at, "sequence.do.run")
    run_id = at.query_params["run"]
    deadline = time.monotonic() + 30
    while get_runtime().snapshot(run_id).state.value != "failed":
        assert time.monotonic() < deadline, "the overflowing RNN should stop"
        time.sleep(0.2)
    at.run()
    assert not at.exception
    stopped = " ".join(e.value for e in at.error)
    assert "Training stopped" in stopped and "exploded" in stopped and "Turn on gradient clipping" in stopped, stopped
    assert codes(at), "the last good samples stay on the page"
