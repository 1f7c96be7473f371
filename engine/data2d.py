"""Data for the Playground page: small 2-D data sets for classification and regression.

Six generated classification sets and two regression sets in the spirit of TensorFlow Playground,
a learner's own CSV file, and points clicked onto the plane. Generated data is reproducible from
the seed and lies on the plane the page draws, [-EXTENT, EXTENT]²: clean points sit within radius
5 and jitter that would push a point off the plane is redrawn. `noise` runs from 0 (separable) to
1, about as noisy as TensorFlow Playground's maximum (0.5). Mistakes a learner can make raise
`DataError` with a sentence the page shows as it is.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Callable

import numpy as np


class DataError(ValueError):
    """Bad user data or settings; the message is shown to the learner as it is."""


TASKS = ("classification", "regression")
CLASSIFICATION: tuple[str, ...] = ("circle", "xor", "gaussian", "spiral", "moons", "blobs")
REGRESSION: tuple[str, ...] = ("plane", "multi_gaussian")
DATASETS = CLASSIFICATION + REGRESSION
MULTICLASS = ("spiral", "blobs")  # the only data sets with 3 to MAX_CLASSES classes
MAX_CLASSES = 5
MAX_POINTS = 5000
EXTENT = 6.0  # the input plane shown on the page is [-EXTENT, EXTENT]²
MAX_CSV_INPUT = 1e6
TARGET_NOISE = 0.5  # std of the noise added to regression targets at noise 1 (targets span about [-1, 1])


@dataclasses.dataclass(frozen=True, eq=False)  # eq=False: arrays have no single truth value; compare by identity
class Dataset2D:
    x: np.ndarray  # (n, 2) float64 inputs
    y: np.ndarray  # (n,) int64 class labels 0..K-1, or float64 regression targets
    task: str  # "classification" | "regression"
    n_classes: int  # K >= 2 for classification, 0 for regression

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, not {self.task!r}")
        classify = self.task == "classification"
        x = np.array(self.x, dtype=np.float64)  # copies, so freezing them leaves the caller's arrays alone
        y = np.array(self.y, dtype=np.int64 if classify else np.float64)
        if x.ndim != 2 or x.shape[1] != 2 or y.shape != (len(x),) or len(x) == 0:
            raise ValueError(f"x must have shape (n, 2) and y (n,) with n >= 1, not {x.shape} and {y.shape}")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise ValueError("x and y must be finite")
        if classify and not (self.n_classes >= 2 and y.min() >= 0 and y.max() < self.n_classes):
            raise ValueError(f"class labels must lie in 0..{self.n_classes - 1} with n_classes >= 2")
        if not classify and self.n_classes != 0:
            raise ValueError("a regression data set has n_classes 0")
        x.flags.writeable = y.flags.writeable = False
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    def __reduce__(self):  # unpickle through __init__, so the copy is checked and read-only too
        return Dataset2D, (self.x, self.y, self.task, self.n_classes)


# -- generated data -------------------------------------------------------------------------------
def _polar(r: np.ndarray, angle: np.ndarray) -> np.ndarray:
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)


def _circle(rng: np.random.Generator, m: int, c: int, k: int) -> np.ndarray:
    # class 1 is the inner disc (TF Playground's blue), class 0 the ring around it
    r = rng.uniform(0.0, 2.5, m) if c == 1 else rng.uniform(3.5, 5.0, m)
    return _polar(r, rng.uniform(0.0, 2 * math.pi, m))


def _xor(rng: np.random.Generator, m: int, c: int, k: int) -> np.ndarray:
    # |x1|, |x2| >= 0.3 leaves a gap around the axes; class 1 where x1·x2 > 0
    s1 = rng.choice([-1.0, 1.0], m)
    signs = np.stack([s1, s1 if c == 1 else -s1], axis=1)
    return signs * rng.uniform(0.3, 5.0, (m, 2))


def _gaussian(rng: np.random.Generator, m: int, c: int, k: int) -> np.ndarray:
    return np.full((m, 2), 2.0 if c == 1 else -2.0)  # the blob's spread is all jitter (see _CLASSIFIERS)


def _spiral(rng: np.random.Generator, m: int, c: int, k: int) -> np.ndarray:
    s = rng.uniform(0.1, 1.0, m)  # position along the arm; arms turn 1.75 times out to radius 5
    return _polar(5.0 * s, 1.75 * 2 * math.pi * s + 2 * math.pi * c / k)


def _moons(rng: np.random.Generator, m: int, c: int, k: int) -> np.ndarray:
    t = rng.uniform(0.0, math.pi, m)
    moon = np.stack([np.cos(t), np.sin(t)] if c == 0 else [1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    return 3.0 * (moon - [0.5, 0.25])  # centred, then x from [-1.5, 1.5] to [-4.5, 4.5]


def _blobs(rng: np.random.Generator, m: int, c: int, k: int) -> np.ndarray:
    return np.tile(_polar(np.array([4.0]), np.array([2 * math.pi * c / k + math.pi / 4])), (m, 1))


# name: (clean points of class c of k, jitter std at noise 0, jitter std added per unit of noise)
_CLASSIFIERS: dict[str, tuple[Callable[..., np.ndarray], float, float]] = {
    "circle": (_circle, 0.0, 1.5),
    "xor": (_xor, 0.0, 1.5),
    "gaussian": (_gaussian, 0.6, 1.5),
    "spiral": (_spiral, 0.0, 0.6),
    "moons": (_moons, 0.0, 1.0),
    "blobs": (_blobs, 0.5, 1.5),
}
# signed Gaussian bumps (centre x1, centre x2, sign), as in TF Playground; their sum stays within [-1, 1]
_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


def _multi_gaussian(x: np.ndarray) -> np.ndarray:
    d2 = ((x[:, None, :] - _BUMPS[None, :, :2]) ** 2).sum(axis=2)  # (n, 6) squared distances to the centres
    return (_BUMPS[:, 2] * np.exp(-d2 / (2 * 1.3**2))).sum(axis=1)


_REGRESSORS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "plane": lambda x: (x[:, 0] + x[:, 1]) / (2 * EXTENT),  # within [-1, 1] on the plane
    "multi_gaussian": _multi_gaussian,
}


def make_dataset(name: str, n_points: int, noise: float, seed: int, n_classes: int = 2, imbalance: float = 1.0) -> Dataset2D:
    """A generated data set, identical for identical arguments. Regression ignores n_classes and imbalance."""
    _check_settings(name, n_points, noise, n_classes, imbalance)
    rng = np.random.default_rng(seed)
    if name in REGRESSION:
        x = rng.uniform(-EXTENT, EXTENT, (n_points, 2))
        y = _REGRESSORS[name](x) + TARGET_NOISE * noise * rng.standard_normal(n_points)
        return Dataset2D(x, y, "regression", 0)
    generate, base_std, noise_std = _CLASSIFIERS[name]
    counts = _class_counts(n_points, n_classes, imbalance)
    clean = np.concatenate([generate(rng, m, c, n_classes) for c, m in enumerate(counts)])
    x = _jitter(rng, clean, base_std + noise_std * noise)
    y = np.repeat(np.arange(n_classes), counts)
    order = rng.permutation(n_points)  # mixed, not grouped by class
    return Dataset2D(x[order], y[order], "classification", n_classes)


def _check_settings(name: str, n_points: int, noise: float, n_classes: int, imbalance: float) -> None:
    if name not in DATASETS:
        raise DataError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}.")
    _check_whole("n_points", n_points, 4, MAX_POINTS)
    _check_whole("n_classes", n_classes, 2, MAX_CLASSES)
    for label, value, low, high in (("noise", noise, 0.0, 1.0), ("imbalance", imbalance, 1.0, 100.0)):
        if not low <= value <= high:  # also refuses NaN
            raise DataError(f"{label} must be between {low:g} and {high:g}, not {value:g}.")
    if name in CLASSIFICATION and n_classes > 2 and name not in MULTICLASS:
        raise DataError(f"the {name} data set has two classes; only {' and '.join(MULTICLASS)} take 3 to {MAX_CLASSES}.")
    if name in CLASSIFICATION and n_points < n_classes:
        raise DataError(f"{n_classes} classes need at least {n_classes} points, one per class.")


def _check_whole(label: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise DataError(f"{label} must be a whole number from {low} to {high}, not {value!r}.")


def _class_counts(n: int, k: int, imbalance: float) -> np.ndarray:
    """Points per class, shares proportional to imbalance^(-c/(k-1)); they sum to n, each at least 1."""
    share = imbalance ** (-np.arange(k) / (k - 1))
    exact = n * share / share.sum()
    counts = np.maximum(np.floor(exact).astype(np.int64), 1)
    while counts.sum() < n:  # largest remainder first (at most k rounds)
        counts[np.argmax(exact - counts)] += 1
    while counts.sum() > n:  # only after lifting an empty class to 1: take from the largest
        counts[np.argmax(counts)] -= 1
    return counts


def _jitter(rng: np.random.Generator, clean: np.ndarray, std: float) -> np.ndarray:
    """clean + Gaussian jitter, redrawn for each point it pushes off the plane (clean points lie within it)."""
    x = clean.copy()
    todo = np.arange(len(x))
    while len(todo):
        x[todo] = clean[todo] + std * rng.standard_normal((len(todo), 2))
        todo = todo[np.abs(x[todo]).max(axis=1) > EXTENT]
    return x


# -- splitting, clicked points, the plane -----------------------------------------------------------
def split(data: Dataset2D, train_ratio: float, seed: int) -> tuple[Dataset2D, Dataset2D]:
    """(train, test), each in random order. Classification splits class by class, so a class with
    two or more points lands in both parts."""
    if not 0.0 < train_ratio < 1.0:
        raise DataError(f"the training share must be between 0 and 1 (exclusive), not {train_ratio:g}.")
    rng = np.random.default_rng(seed)
    n = len(data.y)
    groups = [np.flatnonzero(data.y == c) for c in range(data.n_classes)] if data.task == "classification" else [np.arange(n)]
    train_parts = []
    for group in groups:
        k = round(train_ratio * len(group))
        if len(group) >= 2:
            k = min(max(k, 1), len(group) - 1)
        train_parts.append(rng.permutation(group)[:k])
    train = rng.permutation(np.concatenate(train_parts))
    test = rng.permutation(np.setdiff1d(np.arange(n), train))
    if len(train) == 0 or len(test) == 0:
        raise DataError("there are too few points to split into training and test data.")
    return _subset(data, train), _subset(data, test)


def _subset(data: Dataset2D, idx: np.ndarray) -> Dataset2D:
    return Dataset2D(data.x[idx], data.y[idx], data.task, data.n_classes)


def with_point(data: Dataset2D, x1: float, x2: float, label: float) -> Dataset2D:
    """data with one more point, e.g. one the learner clicked onto the plane."""
    for name, value in (("x1", x1), ("x2", x2)):
        if not (math.isfinite(value) and abs(value) <= EXTENT):
            raise DataError(f"{name} must be a number from {-EXTENT:g} to {EXTENT:g}, not {value:g}.")
    if data.task == "classification":
        if not (float(label).is_integer() and 0 <= label < data.n_classes):
            raise DataError(f"the class must be a whole number from 0 to {data.n_classes - 1}, not {label:g}.")
    elif not math.isfinite(label):
        raise DataError(f"the target must be a finite number, not {label:g}.")
    return Dataset2D(np.vstack([data.x, [[x1, x2]]]), np.append(data.y, label), data.task, data.n_classes)


def grid(resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """(xs (r,), points (r·r, 2)) covering the plane, x1 varying fastest: values.reshape(r, r)[i, j]
    belongs to the point (xs[j], xs[i]), a heat map with rows = x2."""
    if not 2 <= resolution <= 1000:
        raise ValueError(f"resolution must be from 2 to 1000, not {resolution}")
    xs = np.linspace(-EXTENT, EXTENT, resolution)
    x1, x2 = np.meshgrid(xs, xs)  # (r, r) each; x1 varies along columns
    return xs, np.stack([x1.ravel(), x2.ravel()], axis=1)


# -- CSV files ----------------------------------------------------------------------------------------
def parse_csv(raw: bytes, max_rows: int = MAX_POINTS) -> Dataset2D:
    """A data set from a CSV file of x1, x2, label (comma or semicolon separated, optional header).

    Integer labels with at most MAX_CLASSES distinct values make a classification set (labels
    renumbered 0..K-1 in sorted order); any other labels make a regression set.
    """
    rows = _read_rows(raw, max_rows + 1)  # one more for a header
    if not _is_numeric(rows[0][1]):
        rows = rows[1:]  # a header
    if len(rows) > max_rows:
        raise DataError(f"this file has more than {max_rows} data rows; at most {max_rows} rows are allowed.")
    if len(rows) < 4:
        raise DataError(f"this file has {len(rows)} data rows; at least 4 are needed.")
    values = np.array([_numbers(number, cells) for number, cells in rows])  # (n, 3)
    x, labels = values[:, :2], values[:, 2]
    too_far = np.flatnonzero(np.abs(x).max(axis=1) > MAX_CSV_INPUT)
    if len(too_far):
        raise DataError(f"row {rows[too_far[0]][0]}: x1 and x2 must be within ±{MAX_CSV_INPUT:g}.")
    classes = np.unique(labels)
    if len(classes) > MAX_CLASSES or not np.all(labels == np.round(labels)):
        return Dataset2D(x, labels, "regression", 0)
    if len(classes) < 2:
        raise DataError("every label is the same: classification needs at least two classes.")
    return Dataset2D(x, np.searchsorted(classes, labels), "classification", len(classes))


def _read_rows(raw: bytes, limit: int) -> list[tuple[int, list[str]]]:
    """(line number, 3 stripped cells) for each non-blank line, at most limit + 1 of them."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("this file is not UTF-8 text; save it as CSV in UTF-8.") from None
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise DataError("the file is empty.")
    separator = ";" if ";" in first else ","
    rows = []
    for number, cells in enumerate(csv.reader(lines, delimiter=separator), start=1):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if len(cells) != 3:
            raise DataError(f"row {number} has {len(cells)} columns; every row needs exactly 3: x1, x2, label.")
        if separator == ";":  # semicolon files often use decimal commas
            cells = [cell.replace(",", ".") for cell in cells]
        rows.append((number, cells))
        if len(rows) > limit:
            break
    return rows


def _is_numeric(cells: list[str]) -> bool:
    try:
        for cell in cells:
            float(cell)
    except ValueError:
        return False
    return True


def _numbers(number: int, cells: list[str]) -> list[float]:
    values = []
    for column, cell in zip(("x1", "x2", "label"), cells, strict=True):
        try:
            value = float(cell)
        except ValueError:
            shown = repr(cell) if cell else "an empty cell"
            raise DataError(f"row {number}, column {column}: {shown} is not a number.") from None
        if not math.isfinite(value):
            raise DataError(f"row {number}, column {column}: {cell!r} is not allowed; every value must be a finite number.")
        values.append(value)
    return values
