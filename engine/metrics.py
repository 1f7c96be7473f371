"""Classification metrics from labels and predicted scores.

    precision = TP / (TP + FP)      recall = TP / (TP + FN)
    F1 = 2·P·R / (P + R)            (the harmonic mean of precision and recall)

A class with no predicted (or no true) members has precision (or recall) 0 by convention, and
the report says so rather than dividing by zero. For two classes the positive class is 1 and a
point is predicted positive when its score P(class 1) ≥ threshold.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Report:
    accuracy: float
    confusion: np.ndarray  # (K, K): rows true class, columns predicted class
    precision: np.ndarray  # (K,)
    recall: np.ndarray  # (K,)
    f1: np.ndarray  # (K,)
    support: np.ndarray  # (K,) true members of each class


def predict(scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Class ids from scores: P(class 1) (n,) for two classes, probabilities (n, K) for more."""
    if scores.ndim == 1:
        return (scores >= threshold).astype(np.int64)
    return scores.argmax(axis=1)


def report(y: np.ndarray, predicted: np.ndarray, n_classes: int) -> Report:
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (y, predicted), 1)
    tp = np.diag(confusion).astype(float)
    predicted_count, support = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(tp, predicted_count, out=np.zeros(n_classes), where=predicted_count > 0)
    recall = np.divide(tp, support, out=np.zeros(n_classes), where=support > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros(n_classes), where=total > 0)
    accuracy = float(tp.sum() / max(len(y), 1))
    return Report(accuracy, confusion, precision, recall, f1, support)


def roc_curve(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(false-positive rates, true-positive rates, area under the curve) for two classes."""
    order = np.argsort(-scores, kind="stable")
    y_sorted, s_sorted = y[order], scores[order]
    positives, negatives = y_sorted.sum(), len(y_sorted) - y_sorted.sum()
    if positives == 0 or negatives == 0:
        return np.array([0.0, 1.0]), np.array([0.0, 1.0]), float("nan")
    # one point per distinct threshold: tied scores move together (a diagonal step, AUC ½ for a tie)
    last_of_tie = np.r_[np.nonzero(np.diff(s_sorted))[0], len(s_sorted) - 1]
    tpr = np.concatenate([[0.0], np.cumsum(y_sorted)[last_of_tie] / positives])
    fpr = np.concatenate([[0.0], np.cumsum(1 - y_sorted)[last_of_tie] / negatives])
    return fpr, tpr, float(np.trapezoid(tpr, fpr))


def pr_curve(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) as the threshold sweeps down through the scores, for two classes."""
    order = np.argsort(-scores, kind="stable")
    y_sorted = y[order]
    tp = np.cumsum(y_sorted)
    positives = max(int(y_sorted.sum()), 1)
    return tp / positives, tp / np.arange(1, len(y_sorted) + 1)
