"""The labs on optimisation, attention, positional encodings, CNNs and sequence models: each runs with its small
settings and returns a complete result whose verdict is its own rule applied to its figures; each rule flips when
the figures cross its thresholds; and the three claims that must hold do hold with the default settings."""

from __future__ import annotations

import json
import math

import pytest

from engine.config import Config
from engine.labs import attention, cnn, optimisation, positional, sequence
from engine.labs.base import OUTCOMES, Lab, LabConfig, LabResult, run_to_end
from engine.labs.registry import LABS, TOPICS
from engine.labs.trainer import LabTrainer

MODULES = (optimisation, attention, positional, cnn, sequence)
ALL: list[Lab] = [lab for module in MODULES for lab in module.LABS]
SLOW = {"recall_lag"}  # it trains nine recurrent networks: seconds even with the small settings


pytestmark = pytest.mark.usefixtures("one_thread")


def test_every_lab_is_registered_under_its_own_topic():
    assert len(ALL) >= 14
    for lab in ALL:
        assert LABS[lab.key] is lab
        assert lab.topic in TOPICS and lab.topic == lab.run.__module__.rsplit(".", 1)[-1]
        assert lab.claim and lab.setup and lab.rule and lab.knobs
        lab.params(lab.small)  # the small settings are valid knob values


def _check(lab: Lab, result: LabResult) -> None:
    measured = result.measured
    assert measured.figures and all(isinstance(v, float) and math.isfinite(v) for v in measured.figures.values())
    assert measured.table and all(row for row in measured.table)
    evidence = measured.evidence
    assert evidence.kind in ("line", "bar") and evidence.series
    for series in evidence.series:
        assert len(series.x) == len(series.y) > 0
        assert len(series.err) in (0, len(series.y))
        assert all(math.isfinite(v) for v in (*series.y, *series.err))
    assert result.verdict.outcome in OUTCOMES and result.verdict.because
    assert result.verdict == lab.judge(measured.figures, result.params)
    assert LabResult.from_payload(result.to_payload()).verdict == result.verdict
    json.dumps(result.to_payload())  # plain numbers and text only: the CSV export and the link can carry it
    if lab.link:
        page, config = lab.link(result.params)
        assert page in ("optimizers", "attention", "cnn", "sequence", "style") and isinstance(config, Config)


@pytest.mark.parametrize("lab", [pytest.param(lab, id=lab.key, marks=[pytest.mark.slow] if lab.key in SLOW else [])
                                 for lab in ALL])
def test_each_lab_runs_with_its_small_settings(lab: Lab):
    progress = []
    result = run_to_end(lab, lab.small, on_progress=lambda fraction, stage: progress.append((fraction, stage)))
    _check(lab, result)
    assert progress and all(0 <= f <= 1 and s for f, s in progress)


@pytest.mark.parametrize("key", ["sqrt_dk", "causal_mask", "gram_shuffle"])
def test_the_claims_that_must_hold_are_supported_with_default_settings(key: str):
    result = run_to_end(LABS[key])
    _check(LABS[key], result)
    assert result.verdict.outcome == "supported", result.verdict.because


def test_a_lab_with_choice_knobs_runs_as_a_runtime_job_and_round_trips():
    config = LabConfig(lab="pe_rotation", values=json.dumps(LABS["pe_rotation"].small))
    trainer = LabTrainer(config)
    for _ in range(1000):
        if trainer.done:
            break
        trainer.step()
    assert trainer.done and trainer.result.verdict.outcome == "supported"
    payload = trainer.snapshot()["result"]
    assert LabResult.from_payload(payload) == trainer.result


# (lab key, figures, expected outcome): each rule on hand-built figures either side of its thresholds
CASES = [
    ("momentum_adam", {"steps_sgd": 500.0, "steps_momentum": 100.0, "steps_adam": 100.0}, "supported"),
    ("momentum_adam", {"steps_sgd": 500.0, "steps_momentum": 300.0, "steps_adam": 100.0}, "mixed"),
    ("momentum_adam", {"steps_sgd": 500.0, "steps_momentum": 600.0, "steps_adam": 500.0}, "not supported"),
    ("adagrad_decay", {"gap_adagrad": 0.5, "gap_rmsprop": 0.01}, "supported"),
    ("adagrad_decay", {"gap_adagrad": 0.05, "gap_rmsprop": 0.01}, "mixed"),
    ("adagrad_decay", {"gap_adagrad": 1e-8, "gap_rmsprop": 0.0}, "not supported"),
    ("adagrad_decay", {"gap_adagrad": 0.01, "gap_rmsprop": 0.02}, "not supported"),
    ("random_search", {"difference": 0.1, "difference_se": 0.02, "regret_grid": 0.3, "regret_random": 0.2, "trials": 9.0}, "supported"),
    ("random_search", {"difference": 0.01, "difference_se": 0.02, "regret_grid": 0.3, "regret_random": 0.29, "trials": 9.0}, "mixed"),
    ("random_search", {"difference": -0.1, "difference_se": 0.02, "regret_grid": 0.2, "regret_random": 0.3, "trials": 9.0},
     "not supported"),
    ("sqrt_dk", {"top_unscaled_first": 0.2, "top_unscaled": 0.95, "top_scaled": 0.25}, "supported"),
    ("sqrt_dk", {"top_unscaled_first": 0.2, "top_unscaled": 0.85, "top_scaled": 0.25}, "mixed"),
    ("sqrt_dk", {"top_unscaled_first": 0.2, "top_unscaled": 0.95, "top_scaled": 0.95}, "mixed"),
    ("sqrt_dk", {"top_unscaled_first": 0.3, "top_unscaled": 0.3, "top_scaled": 0.25}, "not supported"),
    ("causal_mask", {"masked_before": 0.0, "unmasked_before": 0.1, "cut": 7.0}, "supported"),
    ("causal_mask", {"masked_before": 0.0, "unmasked_before": 1e-5, "cut": 7.0}, "mixed"),
    ("causal_mask", {"masked_before": 1e-6, "unmasked_before": 0.1, "cut": 7.0}, "not supported"),
    ("attention_nonlinear", {"deviation": 0.5, "deviation_se": 0.05}, "supported"),
    ("attention_nonlinear", {"deviation": 1e-4, "deviation_se": 1e-5}, "mixed"),
    ("attention_nonlinear", {"deviation": 1e-12, "deviation_se": 1e-13}, "not supported"),
    ("permutation", {"error_none": 1e-16, "error_sinusoidal": 0.1, "error_learned": 0.1, "error_rope": 0.05, "error_alibi": 0.03},
     "supported"),
    ("permutation", {"error_none": 1e-16, "error_sinusoidal": 0.1, "error_learned": 0.1, "error_rope": 0.05, "error_alibi": 1e-5},
     "mixed"),
    ("permutation", {"error_none": 1e-3, "error_sinusoidal": 0.1, "error_learned": 0.1, "error_rope": 0.05, "error_alibi": 0.03},
     "not supported"),
    ("pe_rotation", {"error": 1e-14, "orthogonality": 1e-16, "control": 1.0}, "supported"),
    ("pe_rotation", {"error": 1e-8, "orthogonality": 1e-16, "control": 1.0}, "mixed"),
    ("pe_rotation", {"error": 1e-3, "orthogonality": 1e-16, "control": 1.0}, "not supported"),
    ("gram_shuffle", {"gram_change": 1e-16, "feature_change": 0.5, "other_change": 0.4}, "supported"),
    ("gram_shuffle", {"gram_change": 1e-8, "feature_change": 0.5, "other_change": 0.4}, "mixed"),
    ("gram_shuffle", {"gram_change": 1e-3, "feature_change": 0.5, "other_change": 0.4}, "not supported"),
    ("pooling_shift", {"change_none": 0.1, "change_pool": 0.04, "change_pool_se": 0.01}, "supported"),
    ("pooling_shift", {"change_none": 0.1, "change_pool": 0.07, "change_pool_se": 0.01}, "mixed"),
    ("pooling_shift", {"change_none": 0.1, "change_pool": 1e-6, "change_pool_se": 0.0}, "mixed"),
    ("pooling_shift", {"change_none": 0.1, "change_pool": 0.2, "change_pool_se": 0.01}, "not supported"),
    ("conv_fc", {"error": 1e-15, "parameter_mismatch": 0.0}, "supported"),
    ("conv_fc", {"error": 1e-8, "parameter_mismatch": 0.0}, "mixed"),
    ("conv_fc", {"error": 1e-3, "parameter_mismatch": 0.0}, "not supported"),
    ("cnn_parameters", {"conv_parameters": 1e4, "dense_parameters": 1e7, "ratio": 1000.0}, "supported"),
    ("cnn_parameters", {"conv_parameters": 1e4, "dense_parameters": 5e5, "ratio": 50.0}, "mixed"),
    ("cnn_parameters", {"conv_parameters": 1e4, "dense_parameters": 5e3, "ratio": 0.5}, "not supported"),
    ("recall_lag", {"reach_rnn": 5.0, "reach_gru": 40.0, "reach_lstm": 10.0, "longest": 40.0, "threshold": 0.5625}, "supported"),
    ("recall_lag", {"reach_rnn": 10.0, "reach_gru": 40.0, "reach_lstm": 5.0, "longest": 40.0, "threshold": 0.5625}, "mixed"),
    ("recall_lag", {"reach_rnn": 40.0, "reach_gru": 40.0, "reach_lstm": 40.0, "longest": 40.0, "threshold": 0.5625}, "mixed"),
    ("recall_lag", {"reach_rnn": 0.0, "reach_gru": 0.0, "reach_lstm": 0.0, "longest": 40.0, "threshold": 0.5625}, "mixed"),
    ("recall_lag", {"reach_rnn": 20.0, "reach_gru": 10.0, "reach_lstm": 10.0, "longest": 40.0, "threshold": 0.5625}, "not supported"),
    ("clipping", {"nan_unclipped": 1.0, "nan_clipped": 0.0, "weight_unclipped": 1.0, "weight_clipped": 0.5}, "supported"),
    ("clipping", {"nan_unclipped": 0.0, "nan_clipped": 0.0, "weight_unclipped": 1e7, "weight_clipped": 0.5}, "mixed"),
    ("clipping", {"nan_unclipped": 1.0, "nan_clipped": 0.5, "weight_unclipped": 1.0, "weight_clipped": 1.0}, "not supported"),
]


@pytest.mark.parametrize(("key", "figures", "outcome"), CASES, ids=[f"{k}-{o}-{i}" for i, (k, _, o) in enumerate(CASES)])
def test_each_rule_flips_across_its_thresholds(key: str, figures: dict, outcome: str):
    lab = LABS[key]
    verdict = lab.judge(figures, lab.params())
    assert verdict.outcome == outcome, verdict.because


def test_every_lab_has_a_case_for_each_outcome():
    for lab in ALL:
        assert {o for k, _, o in CASES if k == lab.key} == set(OUTCOMES), lab.key
