"""Playground features: each formula against a hand computation, and standardisation by the
training set's mean and standard deviation (not its variance)."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from engine.data2d import DataError
from engine.features import FEATURE_LABELS, FEATURES, Standardizer, feature_matrix

X = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, -4.0]])


def test_names_and_labels():
    assert list(FEATURES) == ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]
    assert FEATURE_LABELS == {"x1": "x₁", "x2": "x₂", "x1_sq": "x₁²", "x2_sq": "x₂²", "x1_x2": "x₁x₂",
                              "sin_x1": "sin(x₁)", "sin_x2": "sin(x₂)"}


@pytest.mark.parametrize(("name", "expected"), [
    ("x1", [1.0, -3.0, 0.0]),
    ("x2", [2.0, 0.5, -4.0]),
    ("x1_sq", [1.0, 9.0, 0.0]),
    ("x2_sq", [4.0, 0.25, 16.0]),
    ("x1_x2", [2.0, -1.5, -0.0]),
    ("sin_x1", [math.sin(1.0), math.sin(-3.0), 0.0]),
    ("sin_x2", [math.sin(2.0), math.sin(0.5), math.sin(-4.0)]),
])
def test_each_feature_matches_a_hand_computation(name, expected):
    assert FEATURES[name](X).shape == (3,)
    assert feature_matrix(X, [name])[:, 0] == pytest.approx(expected)


def test_feature_matrix_stacks_columns_in_the_order_given():
    matrix = feature_matrix(X, ["x1_x2", "x1", "x2_sq"])
    assert matrix.shape == (3, 3) and matrix.dtype == np.float64
    assert matrix.tolist() == [[2.0, 1.0, 4.0], [-1.5, -3.0, 0.25], [-0.0, 0.0, 16.0]]


@pytest.mark.parametrize(("names", "message"), [
    ([], "pick at least one input feature"),
    (["x1", "cos_x1"], "unknown feature\\(s\\) cos_x1"),
])
def test_feature_matrix_refuses_empty_or_unknown_names(names, message):
    with pytest.raises(DataError, match=message):
        feature_matrix(X, names)


def test_standardizer_uses_the_standard_deviation_of_the_training_set():
    rng = np.random.default_rng(0)
    train = rng.normal([3.0, -1.0], [5.0, 0.2], size=(500, 2))  # variance 25 vs std 5 tells them apart
    scale = Standardizer.fit(train)
    assert scale.std == pytest.approx(train.std(axis=0)) and scale.std[0] == pytest.approx(5.0, rel=0.1)
    out = scale(train)
    assert out.mean(axis=0) == pytest.approx([0.0, 0.0], abs=1e-12)
    assert out.std(axis=0) == pytest.approx([1.0, 1.0])


def test_test_points_are_transformed_with_the_training_statistics():
    scale = Standardizer.fit(np.array([[0.0, 10.0], [2.0, 10.0], [4.0, 10.0], [6.0, 10.0]]))
    # column 0: mean 3, std sqrt(5); column 1 is constant: std 1, no division by zero
    assert scale.mean.tolist() == [3.0, 10.0] and scale.std == pytest.approx([math.sqrt(5.0), 1.0])
    test = np.array([[3.0, 10.0], [8.0, 12.5]])
    assert scale(test) == pytest.approx(np.array([[0.0, 0.0], [5.0 / math.sqrt(5.0), 2.5]]))


def test_a_constant_column_with_rounding_error_is_left_unscaled():
    scale = Standardizer.fit(np.full((7, 1), 0.1))
    assert scale.std.tolist() == [1.0]
    assert np.isfinite(scale(np.array([[0.1], [5.0]]))).all()


def test_identity_leaves_features_alone_and_shapes_are_checked():
    features = feature_matrix(X, ["x1", "x2", "x1_x2"])
    assert np.array_equal(Standardizer.identity(3)(features), features)
    with pytest.raises(ValueError, match="shape"):
        Standardizer.identity(2)(features)


def test_standardizer_is_read_only_and_survives_pickling():
    scale = Standardizer.fit(X)
    with pytest.raises(ValueError):
        scale.mean[0] = 1.0
    copy = pickle.loads(pickle.dumps(scale))
    assert np.array_equal(copy.std, scale.std) and not copy.std.flags.writeable
