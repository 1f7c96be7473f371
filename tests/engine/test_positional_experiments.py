"""The Positional-encodings page's experiments: word order is invisible to attention without
position information, and the length-extrapolation job (validation, progress, the learned
table's missing entries, what short seeded runs reliably learn, a run through the runtime)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.attention.extrapolation import (
    ExtrapolationConfig,
    ExtrapolationTrainer,
    downsample,
    make_batch,
    run_extrapolation,
)
from engine.attention.order import order_test, permutation, word_vector
from engine.config import ConfigError
from engine.runtime import JobState, Runtime

CAT = ["the", "cat", "chased", "the", "mouse"]
MOUSE = ["the", "mouse", "chased", "the", "cat"]
SHORT = dict(train_length=8, test_multiples=(1, 2), schemes=("none", "sinusoidal", "learned", "rope"), steps=200)


# -- why order matters ------------------------------------------------------------------------------
def test_without_position_the_two_sentences_pool_to_the_same_vector():
    result = order_test(CAT, MOUSE)
    assert result["difference"] < 1e-12 and result["equivariance_error"] < 1e-12
    assert result["permutation"] == [0, 4, 2, 3, 1]
    assert result["outputs_a"].shape == (5, 16) and result["weights_a"].shape == (2, 5, 5)
    np.testing.assert_allclose(result["weights_b"].sum(-1), 1.0)
    assert np.abs(result["outputs_a"] - result["outputs_b"]).max() > 1e-2, "the outputs are permuted, not equal"


@pytest.mark.parametrize("positional", ["sinusoidal", "learned", "rope", "alibi"])
def test_with_position_the_two_sentences_differ(positional):
    result = order_test(CAT, MOUSE, positional=positional)
    assert result["difference"] > 1e-3 and result["equivariance_error"] > 1e-3


def test_same_word_same_vector_and_sentences_that_are_not_reorderings():
    assert np.array_equal(word_vector("cat", 16, 0), word_vector("cat", 16, 0))
    assert not np.array_equal(word_vector("cat", 16, 0), word_vector("cat", 16, 1))
    same = order_test(CAT, CAT, positional="rope")
    assert same["difference"] == 0.0 and same["equivariance_error"] == 0.0
    other = order_test(CAT, ["a", "dog", "slept"])
    assert other["permutation"] is None and other["equivariance_error"] is None and other["difference"] > 1e-3
    assert permutation(list("abca"), list("acab")) == [0, 2, 3, 1]
    with pytest.raises(ValueError):
        order_test([], CAT)


# -- length extrapolation ---------------------------------------------------------------------------
def test_the_tasks_targets():
    import torch

    tokens, targets = make_batch("previous", 3, 6, 10, torch.Generator().manual_seed(0))
    assert (targets[:, 0] == -100).all() and torch.equal(targets[:, 1:], tokens[:, :-1])
    tokens, targets = make_batch("first", 3, 6, 10, torch.Generator().manual_seed(0))
    assert (targets[:, 0] == -100).all() and torch.equal(targets[:, 1:], tokens[:, :1].expand(3, 5))


@pytest.mark.parametrize("changes", [dict(task="reverse"), dict(train_length=3), dict(test_multiples=()), dict(test_multiples=(1, 9)),
                                     dict(schemes=()), dict(schemes=("none", "none")), dict(schemes=("xpos",)),
                                     dict(d_model=30, heads=4), dict(layers=3), dict(learning_rate=1.0)])
def test_bad_settings_are_refused(changes):
    with pytest.raises(ConfigError):
        ExtrapolationConfig().replace(**changes)


def test_progress_is_monotone_metrics_finite_and_the_stages_in_order():
    trainer = ExtrapolationTrainer(ExtrapolationConfig(train_length=4, test_multiples=(1, 2), steps=25, d_model=16))
    progress, stages = [trainer.progress], []
    while not trainer.done:
        metrics = trainer.step()
        assert all(math.isfinite(v) for v in metrics.values()) and set(metrics) == {"loss", "progress"}
        progress.append(metrics["progress"])
        stages.append(trainer.snapshot()["stage"])
    assert all(a <= b for a, b in zip(progress, progress[1:], strict=False))
    assert progress[0] == 0.0 and progress[-1] == 1.0 and progress[-2] < 1.0
    assert stages[0] == "training" and "evaluating" in stages and stages[-1] == "done"
    assert trainer.trained == [25] * 5
    curves = trainer.snapshot()["loss_curves"]
    assert set(curves) == set(ExtrapolationConfig().schemes) and all(len(c["loss"]) == 25 for c in curves.values())


def test_loss_curves_are_down_sampled_to_bin_means():
    steps, loss = downsample(list(range(1000)), 300)
    assert len(steps) == len(loss) == 300 and steps[-1] == 1000 and np.all(np.diff(steps) > 0)
    assert loss[0] == pytest.approx(np.mean(range(4)))


def test_a_short_run_learns_previous_with_position_information_and_learned_stops_at_L():
    payload = run_extrapolation(ExtrapolationConfig(**SHORT))
    acc = dict(zip(payload["schemes"], payload["accuracy"], strict=True))
    assert payload["lengths"] == (8, 16) and payload["accuracy"].shape == (4, 2) and payload["chance"] == 0.1
    finite = payload["accuracy"][np.isfinite(payload["accuracy"])]
    assert finite.min() >= 0.0 and finite.max() <= 1.0
    # seen with seeds 0, 1, 2: sinusoidal, learned and RoPE learn "previous" at L; no position code stays far below
    assert acc["sinusoidal"][0] > 0.95 and acc["learned"][0] > 0.95 and acc["rope"][0] > 0.95
    assert acc["none"][0] < 0.7
    # and at 2L the relative code (RoPE) holds up better than the absolute sinusoidal one (0.97 vs 0.6)
    assert acc["rope"][1] > acc["sinusoidal"][1] + 0.2
    assert np.isnan(acc["learned"][1]) and np.isfinite(acc["learned"][0])
    notes = dict(zip(payload["schemes"], payload["notes"], strict=True))
    assert "no table entries past 8" in notes["learned"] and notes["none"] == notes["sinusoidal"] == notes["rope"] == ""
    assert np.isnan(payload["position_accuracy"][:, 0]).all() and np.isnan(payload["position_accuracy"][2, 8:]).all()


def test_the_same_seed_gives_the_same_table():
    config = ExtrapolationConfig(train_length=4, test_multiples=(1, 2), steps=20, d_model=16, schemes=("rope", "alibi"))
    a, b = run_extrapolation(config), run_extrapolation(config)
    assert np.array_equal(a["accuracy"], b["accuracy"])
    assert np.array_equal(a["loss_curves"]["rope"]["loss"], b["loss_curves"]["rope"]["loss"])


def test_a_short_experiment_runs_to_done_in_the_runtime():
    rt = Runtime(workers=1)
    try:
        run = rt.start("t", ExtrapolationTrainer, ExtrapolationConfig(train_length=4, test_multiples=(1, 2, 3), steps=30, d_model=16))
        snap = rt.wait(run, lambda s: s.state.is_terminal, timeout=60)
        assert snap.state is JobState.DONE and snap.reason.startswith("Evaluated 5 scheme(s) at lengths 4, 8, 12")
        payload = snap.payload
        assert payload["stage"] == "done" and payload["progress"] == 1.0 and payload["task"] == "previous"
        accuracy = payload["accuracy"]
        assert accuracy.shape == (5, 3) and payload["lengths"] == (4, 8, 12)
        learned = payload["schemes"].index("learned")
        assert np.isfinite(np.delete(accuracy, learned, axis=0)).all() and np.isfinite(accuracy[learned, 0])
        assert np.isnan(accuracy[learned, 1:]).all()
        progress = snap.history["progress"][1]
        assert np.all(np.diff(progress) >= 0) and progress[-1] == 1.0
    finally:
        rt.shutdown()
