"""Classification metrics against hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from engine.metrics import pr_curve, predict, report, roc_curve


def test_report_matches_a_hand_count():
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    yhat = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 0])  # TP 3, FN 1, FP 1, TN 5
    rep = report(y, yhat, 2)
    assert rep.confusion.tolist() == [[5, 1], [1, 3]]
    assert rep.precision[1] == pytest.approx(3 / 4) and rep.recall[1] == pytest.approx(3 / 4)
    assert rep.precision[0] == pytest.approx(5 / 6) and rep.recall[0] == pytest.approx(5 / 6)
    assert rep.accuracy == pytest.approx(0.8)


def test_f1_is_the_harmonic_mean_of_precision_and_recall():
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    yhat = np.array([1, 0, 0, 0, 1, 0, 0, 0])  # P = 1/2, R = 1/4
    rep = report(y, yhat, 2)
    assert rep.f1[1] == pytest.approx(2 * 0.5 * 0.25 / 0.75)


def test_a_never_predicted_class_has_zero_precision_not_nan():
    rep = report(np.array([0, 1, 1]), np.array([0, 0, 0]), 2)
    assert rep.precision[1] == 0.0 and rep.recall[1] == 0.0 and rep.f1[1] == 0.0


def test_accuracy_is_misleading_under_imbalance():
    y = np.array([0] * 95 + [1] * 5)
    rep = report(y, predict(np.zeros(100)), 2)  # always predict the majority
    assert rep.accuracy == 0.95 and rep.recall[1] == 0.0


def test_threshold_and_roc_pr_curves():
    y = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.6, 0.4, 0.9])
    assert predict(scores, 0.5).tolist() == [0, 1, 0, 1]
    fpr, tpr, auc = roc_curve(y, scores)
    assert auc == pytest.approx(0.75)  # 3 of the 4 (positive, negative) pairs are ordered correctly
    recall, precision = pr_curve(y, scores)
    assert recall[-1] == 1.0 and precision[0] == 1.0 and precision[-1] == 0.5
    assert predict(np.array([[0.2, 0.7, 0.1]])).tolist() == [1]


def test_tied_scores_count_as_half_in_the_roc_area():
    _, _, auc = roc_curve(np.array([1, 1, 1, 0, 0, 0]), np.full(6, 0.5))
    assert auc == pytest.approx(0.5)
    _, _, auc = roc_curve(np.array([1, 0, 1, 0, 1, 0]), np.array([0.9, 0.9, 0.5, 0.5, 0.1, 0.1]))
    assert auc == pytest.approx(0.5)
