"""Playground data: generated sets are reproducible, shaped and labelled as promised, and noise makes
classes overlap; splits are stratified; CSV files and clicked points are checked with clear messages."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from engine.data2d import (
    CLASSIFICATION,
    DATASETS,
    EXTENT,
    MULTICLASS,
    DataError,
    Dataset2D,
    grid,
    make_dataset,
    parse_csv,
    split,
    with_point,
)


def _k(name: str) -> int:
    return 3 if name in MULTICLASS else 2


@pytest.mark.parametrize("name", DATASETS)
def test_same_arguments_give_identical_arrays_and_another_seed_does_not(name):
    a, b = make_dataset(name, 200, 0.3, seed=7, n_classes=_k(name)), make_dataset(name, 200, 0.3, seed=7, n_classes=_k(name))
    c = make_dataset(name, 200, 0.3, seed=8, n_classes=_k(name))
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("noise", [0.0, 1.0])
def test_shapes_dtypes_and_ranges(name, noise):
    data = make_dataset(name, 300, noise, seed=1, n_classes=_k(name))
    assert data.x.shape == (300, 2) and data.x.dtype == np.float64 and data.y.shape == (300,)
    assert np.abs(data.x).max() <= EXTENT, "every point is on the plane the page draws"
    assert not data.x.flags.writeable and not data.y.flags.writeable
    if name in CLASSIFICATION:
        assert data.task == "classification" and data.n_classes == _k(name) and data.y.dtype == np.int64
        assert set(np.unique(data.y)) == set(range(_k(name)))
        assert len(np.unique(data.y[:20])) > 1, "points come mixed, not grouped by class"
    else:
        assert data.task == "regression" and data.n_classes == 0 and data.y.dtype == np.float64
        if noise == 0.0:
            assert np.abs(data.y).max() <= 1.0 and data.y.std() > 0.2


def test_regression_noise_adds_to_targets_only():
    clean, noisy = make_dataset("plane", 500, 0.0, seed=3), make_dataset("plane", 500, 1.0, seed=3)
    assert np.array_equal(clean.x, noisy.x)
    assert np.allclose(clean.y, (clean.x[:, 0] + clean.x[:, 1]) / (2 * EXTENT))
    assert 0.4 < np.std(noisy.y - clean.y) < 0.6


@pytest.mark.parametrize(("n", "k", "imbalance", "counts"), [
    (420, 2, 20.0, [400, 20]),
    (300, 3, 4.0, [171, 86, 43]),  # shares 1 : 1/2 : 1/4
    (100, 2, 1.0, [50, 50]),
    (5, 5, 100.0, [1, 1, 1, 1, 1]),  # every class keeps at least one point
])
def test_imbalance_sets_class_counts(n, k, imbalance, counts):
    name = "blobs" if k > 2 else "circle"
    data = make_dataset(name, n, 0.1, seed=0, n_classes=k, imbalance=imbalance)
    assert np.bincount(data.y, minlength=k).tolist() == counts


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_multiclass_sets_cover_every_class(k):
    for name in MULTICLASS:
        assert np.unique(make_dataset(name, 100, 0.2, seed=k, n_classes=k).y).tolist() == list(range(k))


def test_clean_circle_is_separable_by_radius_and_clean_xor_by_sign():
    circle = make_dataset("circle", 1000, 0.0, seed=2)
    radius = np.hypot(circle.x[:, 0], circle.x[:, 1])
    assert radius[circle.y == 1].max() < radius[circle.y == 0].min(), "class 1 is the inner disc"
    xor = make_dataset("xor", 1000, 0.0, seed=2)
    assert np.array_equal(xor.y, (xor.x[:, 0] * xor.x[:, 1] > 0).astype(int))
    assert np.abs(xor.x).min() >= 0.3, "a gap around the axes"


def test_noise_makes_classes_overlap():
    def circle_accuracy(noise):
        data = make_dataset("circle", 1000, noise, seed=4)
        return np.mean((np.hypot(data.x[:, 0], data.x[:, 1]) < 3.0) == (data.y == 1))

    def nearest_centroid_accuracy(noise):
        data = make_dataset("blobs", 1000, noise, seed=4, n_classes=4)
        centroids = np.stack([data.x[data.y == c].mean(axis=0) for c in range(4)])
        nearest = np.argmin(((data.x[:, None, :] - centroids) ** 2).sum(axis=2), axis=1)
        return np.mean(nearest == data.y)

    circle = [circle_accuracy(noise) for noise in (0.0, 0.5, 1.0)]
    blobs = [nearest_centroid_accuracy(noise) for noise in (0.0, 0.5, 1.0)]
    assert circle[0] == 1.0 and circle[0] > circle[1] > circle[2] and circle[2] < 0.85
    assert blobs[0] == 1.0 and blobs[0] > blobs[1] > blobs[2] and blobs[2] < 0.9


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "swirl"}, "unknown data set 'swirl'"),
    ({"n_points": 3}, "n_points must be a whole number from 4 to 5000"),
    ({"n_points": 5001}, "n_points must be"),
    ({"n_points": 100.5}, "n_points must be a whole number"),
    ({"noise": 1.5}, "noise must be between 0 and 1"),
    ({"noise": float("nan")}, "noise must be between"),
    ({"imbalance": 0.5}, "imbalance must be between 1 and 100"),
    ({"imbalance": 101.0}, "imbalance must be between"),
    ({"name": "blobs", "n_classes": 6}, "n_classes must be a whole number from 2 to 5"),
    ({"name": "blobs", "n_classes": 1}, "n_classes must be"),
    ({"n_classes": 3}, "the circle data set has two classes; only spiral and blobs"),
    ({"name": "spiral", "n_classes": 5, "n_points": 4}, "5 classes need at least 5 points"),
])
def test_bad_settings_get_a_clear_message(kwargs, message):
    args = {"name": "circle", "n_points": 100, "noise": 0.1, "seed": 0} | kwargs
    with pytest.raises(DataError, match=message):
        make_dataset(**args)


def _rows(data: Dataset2D) -> list[tuple[float, ...]]:
    return list(map(tuple, np.column_stack([data.x, data.y])))


@pytest.mark.parametrize("name", ["blobs", "plane"])
def test_split_keeps_every_point_once_at_the_ratio(name):
    data = make_dataset(name, 500, 0.2, seed=5, n_classes=3 if name == "blobs" else 2)
    train, test = split(data, 0.7, seed=1)
    assert len(train.y) == 350 and len(test.y) == 150
    assert sorted(_rows(train) + _rows(test)) == sorted(_rows(data)), "no point lost or duplicated"
    assert train.task == data.task and train.n_classes == data.n_classes
    again = split(data, 0.7, seed=1)[0]
    assert np.array_equal(train.x, again.x), "the split is reproducible from its seed"


def test_split_is_stratified_so_a_rare_class_lands_in_both_parts():
    data = make_dataset("circle", 202, 0.0, seed=0, imbalance=100.0)
    assert np.bincount(data.y).tolist() == [200, 2]
    for ratio in (0.1, 0.5, 0.9):
        train, test = split(data, ratio, seed=3)
        assert np.bincount(train.y, minlength=2)[1] == 1 and np.bincount(test.y, minlength=2)[1] == 1
    blobs = make_dataset("blobs", 400, 0.1, seed=0, n_classes=4, imbalance=10.0)
    train, _ = split(blobs, 0.5, seed=0)
    assert np.abs(np.bincount(train.y) - np.bincount(blobs.y) / 2).max() <= 0.5, "each class is halved, not just the total"


@pytest.mark.parametrize("ratio", [0.0, 1.0, -0.2])
def test_split_refuses_a_ratio_that_leaves_a_part_empty(ratio):
    with pytest.raises(DataError, match="between 0 and 1"):
        split(make_dataset("circle", 50, 0.1, seed=0), ratio, seed=0)


def test_dataset_is_read_only_validated_and_survives_pickling():
    data = make_dataset("spiral", 50, 0.1, seed=0, n_classes=3)
    with pytest.raises(ValueError):
        data.x[0, 0] = 1.0
    copy = pickle.loads(pickle.dumps(data))
    assert np.array_equal(copy.x, data.x) and not copy.x.flags.writeable
    with pytest.raises(ValueError, match="class labels"):
        Dataset2D(np.zeros((2, 2)), np.array([0, 2]), "classification", 2)
    with pytest.raises(ValueError, match="shape"):
        Dataset2D(np.zeros((3, 3)), np.zeros(3), "regression", 0)


def test_with_point_appends_a_clicked_point():
    data = make_dataset("blobs", 20, 0.1, seed=0, n_classes=3)
    more = with_point(data, 1.5, -6.0, 2)
    assert len(more.y) == 21 and more.x[-1].tolist() == [1.5, -6.0] and more.y[-1] == 2 and more.y.dtype == np.int64
    assert len(data.y) == 20, "the original is unchanged"
    plane = with_point(make_dataset("plane", 10, 0.0, seed=0), 0.0, 0.0, -0.25)
    assert plane.y[-1] == -0.25


@pytest.mark.parametrize(("name", "point", "message"), [
    ("blobs", (0.0, 0.0, 3), "class must be a whole number from 0 to 2"),
    ("blobs", (0.0, 0.0, -1), "class must be"),
    ("blobs", (0.0, 0.0, 1.5), "class must be"),
    ("blobs", (6.5, 0.0, 0), "x1 must be a number from -6 to 6"),
    ("blobs", (0.0, float("nan"), 0), "x2 must be"),
    ("plane", (0.0, 0.0, float("inf")), "target must be a finite number"),
])
def test_with_point_refuses_bad_points(name, point, message):
    with pytest.raises(DataError, match=message):
        with_point(make_dataset(name, 20, 0.1, seed=0, n_classes=3 if name == "blobs" else 2), *point)


def test_grid_is_row_major_with_x2_slowest():
    xs, points = grid(5)
    assert xs.tolist() == [-6.0, -3.0, 0.0, 3.0, 6.0] and points.shape == (25, 2)
    x1, x2 = points[:, 0].reshape(5, 5), points[:, 1].reshape(5, 5)
    assert np.array_equal(x1, np.tile(xs, (5, 1))), "x1 varies along columns"
    assert np.array_equal(x2, np.tile(xs[:, None], (1, 5))), "x2 varies along rows"
    with pytest.raises(ValueError):
        grid(1)


# -- CSV files ------------------------------------------------------------------------------------
def _csv(rows: list[str], header: str | None = None, sep: str = ",") -> bytes:
    return "\n".join(([header] if header else []) + [row.replace(",", sep) for row in rows]).encode()


FOUR = ["0.5,1,0", "-2,3.25,1", "4,-1e-3,1", "0,0,0"]


def test_csv_classification_with_a_header():
    data = parse_csv(_csv(FOUR, header="x1,x2,label"))
    assert data.task == "classification" and data.n_classes == 2
    assert data.x.tolist() == [[0.5, 1.0], [-2.0, 3.25], [4.0, -0.001], [0.0, 0.0]] and data.y.tolist() == [0, 1, 1, 0]


def test_csv_labels_are_renumbered_in_sorted_order():
    data = parse_csv(_csv(["0,0,7", "1,1,-1", "2,2,3", "3,3,-1", "4,4,7"]))
    assert data.n_classes == 3 and data.y.tolist() == [2, 0, 1, 0, 2]


def test_csv_semicolons_decimal_commas_bom_crlf_and_blank_lines_are_accepted():
    raw = "\ufeffx1;x2;class\r\n0,5;1;0\r\n\r\n-2;3,25;1\r\n4;0;1\r\n0;0;0\r\n".encode()
    data = parse_csv(raw)
    assert data.x[:2].tolist() == [[0.5, 1.0], [-2.0, 3.25]] and data.y.tolist() == [0, 1, 1, 0]


@pytest.mark.parametrize(("labels", "task"), [
    ([0, 1, 2, 3, 4], "classification"),  # five distinct integers: still classes
    ([0, 1, 2, 3, 4, 5], "regression"),  # six: a numeric target
    ([0, 1, 0.5, 1, 0, 1], "regression"),  # a non-integer
])
def test_csv_task_is_inferred_from_the_labels(labels, task):
    data = parse_csv(_csv([f"{i},{-i},{label}" for i, label in enumerate(labels)]))
    assert data.task == task
    if task == "regression":
        assert data.n_classes == 0 and data.y.dtype == np.float64 and data.y.tolist() == [float(v) for v in labels]


def test_csv_inputs_are_kept_as_given_up_to_a_million():
    data = parse_csv(_csv(["1e6,-250,0", "7,8,1", "0,0,0", "1,1,1"]))
    assert data.x[0].tolist() == [1e6, -250.0]


@pytest.mark.parametrize(("raw", "message"), [
    (b"", "the file is empty"),
    (b"\n  \n", "the file is empty"),
    (b"x1,x2,label\n\xff\xfe1,2,0\n", "this file is not UTF-8 text"),
    (_csv(["1,2,0", "1,2", "3,4,1", "5,6,0"]), "row 2 has 2 columns; every row needs exactly 3"),
    (_csv(FOUR[:3] + ["1,2,0,9"], header="a,b,c"), "row 5 has 4 columns"),
    (_csv(["1,2,0", "3,abc,1", "5,6,0", "7,8,1"]), "row 2, column x2: 'abc' is not a number"),
    (_csv(["1,2,0", "3,4,1", "5,,0", "7,8,1"]), "row 3, column x2: an empty cell is not a number"),
    (_csv(["1,2,0", "3,4,1", "5,6,0", "nan,8,1"]), "row 4, column x1: 'nan' is not allowed; every value must be a finite"),
    (_csv(["1,2,0", "3,4,inf", "5,6,0", "7,8,1"]), "row 2, column label: 'inf' is not allowed"),
    (_csv(["1,2,0", "3,4,1", "5,6,0"], header="x1,x2,y"), "this file has 3 data rows; at least 4 are needed"),
    (_csv(["1,2,0", "3,4,1", "5,2e6,0", "7,8,1"]), "row 3: x1 and x2 must be within ±1e\\+06"),
    (_csv(["1,2,3", "3,4,3", "5,6,3", "7,8,3"]), "needs at least two classes"),
])
def test_csv_errors_get_a_clear_message(raw, message):
    with pytest.raises(DataError, match=message):
        parse_csv(raw)


def test_csv_row_limit():
    rows = [f"{i % 5},{i % 3},{i % 2}" for i in range(5001)]
    with pytest.raises(DataError, match="at most 5000 rows"):
        parse_csv(_csv(rows))
    assert len(parse_csv(_csv(rows[:5000], header="x1,x2,label")).y) == 5000
    with pytest.raises(DataError, match="at most 10 rows"):
        parse_csv(_csv(rows[:11]), max_rows=10)
