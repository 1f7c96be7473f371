"""The MLP labs (initialisation, depth, losses, regularisation, normalisation): each runs end to end with its
quick settings and gives a complete result whose verdict is its rule applied to its figures; each rule flips
when hand-made figures cross its thresholds; zero initialisation and XOR come out supported with the defaults;
a lab runs as a runtime job through LabTrainer and its result survives the payload round trip."""

from __future__ import annotations

import json
import math

import pytest

from engine.labs import depth, initialisation, losses, normalisation, regularisation
from engine.labs.base import OUTCOMES, LabConfig, LabResult, run_to_end
from engine.labs.registry import LABS, TOPICS
from engine.labs.trainer import LabTrainer
from engine.playground.config import PlaygroundConfig

MLP_LABS = [lab for module in (initialisation, depth, losses, regularisation, normalisation) for lab in module.LABS]
BY_KEY = {lab.key: lab for lab in MLP_LABS}


def test_the_labs_are_registered_under_their_topics():
    for lab in MLP_LABS:
        assert LABS[lab.key] is lab and lab.topic in TOPICS
    assert len(MLP_LABS) >= 9


@pytest.mark.parametrize("lab", MLP_LABS, ids=lambda lab: lab.key)
def test_a_quick_run_gives_a_complete_result(lab):
    progress = []
    result = run_to_end(lab, lab.small, on_progress=lambda fraction, stage: progress.append((fraction, stage)))
    measured = result.measured
    assert measured.figures and all(isinstance(v, float) and math.isfinite(v) for v in measured.figures.values())
    assert measured.table and all(row for row in measured.table)
    assert measured.evidence.kind in ("line", "bar") and measured.evidence.series
    for series in measured.evidence.series:
        assert len(series.x) == len(series.y) > 0 and len(series.err) in (0, len(series.y))
        assert all(math.isfinite(v) for v in series.y + series.err)
    assert result.verdict == lab.judge(measured.figures, result.params) and result.verdict.outcome in OUTCOMES
    assert all(0.0 <= fraction <= 1.0 and stage for fraction, stage in progress)
    assert [f for f, _ in progress] == sorted(f for f, _ in progress)


@pytest.mark.parametrize("lab", MLP_LABS, ids=lambda lab: lab.key)
def test_the_link_opens_the_same_setup_in_the_playground(lab):
    page, config = lab.link(lab.params())
    assert page == "playground" and isinstance(config, PlaygroundConfig)
    assert PlaygroundConfig.from_query(config.to_query()) == config


# (lab, figures, outcome): each lab's rule on hand-made figures on both sides of its thresholds
RULES = [
    ("zero_init", {"spread_zeros": 0.0, "spread_small": 2.0, "accuracy_zeros": 0.6, "accuracy_small": 0.95}, "supported"),
    ("zero_init", {"spread_zeros": 0.1, "spread_small": 2.0, "accuracy_zeros": 0.6, "accuracy_small": 0.95}, "mixed"),
    ("zero_init", {"spread_zeros": 0.1, "spread_small": 1e-4, "accuracy_zeros": 0.6, "accuracy_small": 0.95}, "not supported"),
    ("xor", {"accuracy_perceptron": 0.55, "accuracy_hidden": 0.97}, "supported"),
    ("xor", {"accuracy_perceptron": 0.55, "accuracy_hidden": 0.85}, "mixed"),
    ("xor", {"accuracy_perceptron": 0.80, "accuracy_hidden": 0.85}, "not supported"),
    ("linear_collapse", {"accuracy_perceptron": 0.5, "accuracy_linear": 0.55, "accuracy_tanh": 0.99,
                         "plane_distance_linear": 1e-13, "plane_distance_tanh": 2.0}, "supported"),
    ("linear_collapse", {"accuracy_perceptron": 0.5, "accuracy_linear": 0.55, "accuracy_tanh": 0.7,
                         "plane_distance_linear": 1e-13, "plane_distance_tanh": 2.0}, "mixed"),
    ("linear_collapse", {"accuracy_perceptron": 0.5, "accuracy_linear": 0.55, "accuracy_tanh": 0.99,
                         "plane_distance_linear": 0.1, "plane_distance_tanh": 2.0}, "not supported"),
    ("focal_recall", {"recall_ce": 0.5, "recall_focal": 0.6, "recall_gain": 0.1, "recall_gain_se": 0.04}, "supported"),
    ("focal_recall", {"recall_ce": 0.5, "recall_focal": 0.6, "recall_gain": 0.1, "recall_gain_se": 0.06}, "not supported"),
    ("focal_recall", {"recall_ce": 0.6, "recall_focal": 0.5, "recall_gain": -0.1, "recall_gain_se": 0.01}, "not supported"),
    ("l1_vs_l2", {"near_zero_none": 0.0, "near_zero_l1": 0.6, "near_zero_l2": 0.01, "median_none": 0.2, "median_l1": 0.001,
                  "median_l2": 0.05}, "supported"),
    ("l1_vs_l2", {"near_zero_none": 0.0, "near_zero_l1": 0.1, "near_zero_l2": 0.01, "median_none": 0.2, "median_l1": 0.001,
                  "median_l2": 0.05}, "mixed"),
    ("l1_vs_l2", {"near_zero_none": 0.0, "near_zero_l1": 0.2, "near_zero_l2": 0.15, "median_none": 0.2, "median_l1": 0.001,
                  "median_l2": 0.05}, "not supported"),
    ("dropout_l2_gap", {"gap_none": 0.1, "gap_l2": 0.05, "narrowing_l2": 0.05, "narrowing_l2_se": 0.02, "gap_dropout": 0.05,
                        "narrowing_dropout": 0.05, "narrowing_dropout_se": 0.02}, "supported"),
    ("dropout_l2_gap", {"gap_none": 0.1, "gap_l2": 0.05, "narrowing_l2": 0.05, "narrowing_l2_se": 0.02, "gap_dropout": 0.05,
                        "narrowing_dropout": 0.05, "narrowing_dropout_se": 0.03}, "mixed"),
    ("dropout_l2_gap", {"gap_none": 0.1, "gap_l2": 0.15, "narrowing_l2": -0.05, "narrowing_l2_se": 0.01, "gap_dropout": 0.1,
                        "narrowing_dropout": 0.0, "narrowing_dropout_se": 0.0}, "not supported"),
    ("early_stopping", {"gain": 0.5, "gain_se": 0.1, "lost": 0.6, "recovered": 0.83}, "supported"),
    ("early_stopping", {"gain": 0.3, "gain_se": 0.1, "lost": 0.6, "recovered": 0.5}, "mixed"),
    ("early_stopping", {"gain": 0.5, "gain_se": 0.3, "lost": 0.6, "recovered": 0.83}, "not supported"),
    ("input_normalisation", {"largest_raw": 0.004, "largest_standardised": 0.016}, "supported"),
    ("input_normalisation", {"largest_raw": 0.004, "largest_standardised": 0.008}, "mixed"),
    ("input_normalisation", {"largest_raw": 0.004, "largest_standardised": 0.004}, "not supported"),
    ("batch_norm_rate", {"largest_plain": 0.064, "largest_batch_norm": 0.512}, "supported"),
    ("batch_norm_rate", {"largest_plain": 0.064, "largest_batch_norm": 0.128}, "mixed"),
    ("batch_norm_rate", {"largest_plain": 0.064, "largest_batch_norm": 0.032}, "not supported"),
]
GRADIENT_RATIOS = {"ratio_sigmoid": 1e-8, "ratio_tanh": 1e-3, "ratio_relu_he": 0.3, "ratio_sigmoid_batch_norm": 2.0,
                   "ratio_tanh_residual": 1.5}
RULES += [
    ("vanishing_gradients", GRADIENT_RATIOS, "supported"),
    ("vanishing_gradients", GRADIENT_RATIOS | {"ratio_tanh": 1.0}, "mixed"),
    ("vanishing_gradients", GRADIENT_RATIOS | {"ratio_relu_he": 1e-3}, "mixed"),
    ("vanishing_gradients", GRADIENT_RATIOS | {"ratio_tanh": 1.0, "ratio_sigmoid": 0.5}, "not supported"),
]


@pytest.mark.parametrize(("key", "figures", "outcome"), RULES, ids=[f"{k}-{o}" for k, _, o in RULES])
def test_the_rule_follows_the_figures(key, figures, outcome):
    lab = BY_KEY[key]
    verdict = lab.judge(figures, lab.params())
    assert verdict.outcome == outcome, verdict.because
    assert verdict.because


def test_every_lab_has_its_rule_tested_on_every_side():
    assert {key for key, _, _ in RULES} == set(BY_KEY)
    for key in BY_KEY:
        assert len({o for k, _, o in RULES if k == key}) >= 2


@pytest.mark.slow
@pytest.mark.parametrize("key", ["zero_init", "xor"])
def test_the_true_claims_come_out_supported_with_the_defaults(key):
    result = run_to_end(BY_KEY[key])
    assert result.verdict.outcome == "supported", result.verdict.because


def test_zero_initialisation_keeps_the_units_identical_and_small_random_does_not():
    figures = run_to_end(BY_KEY["zero_init"], BY_KEY["zero_init"].small).measured.figures
    assert figures["spread_zeros"] < 1e-9 < 1e-3 < figures["spread_small"]


def test_a_deep_linear_network_is_exactly_a_plane():
    assert run_to_end(BY_KEY["linear_collapse"], BY_KEY["linear_collapse"].small).measured.figures["plane_distance_linear"] < 1e-9


def test_sigmoid_gradients_vanish_with_depth_at_initialisation():
    lab = BY_KEY["vanishing_gradients"]
    shallow = run_to_end(lab, {"depth": 2, "networks": 3}).measured.figures["ratio_sigmoid"]
    deep = run_to_end(lab, {"depth": 12, "networks": 3}).measured.figures["ratio_sigmoid"]
    assert deep < 1e-2 * shallow


def test_a_lab_runs_as_a_runtime_job_and_its_result_round_trips():
    config = LabConfig(lab="zero_init", values=json.dumps(BY_KEY["zero_init"].small))
    trainer = LabTrainer(config)
    for _ in range(10_000):
        if trainer.done:
            break
        trainer.step()
    assert trainer.done
    payload = trainer.snapshot()["result"]
    assert payload and trainer.snapshot()["progress"] == 1.0
    restored = LabResult.from_payload(payload)
    assert restored == trainer.result and restored.to_payload() == payload
