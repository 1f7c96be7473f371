"""Input features for the Playground page, and the standardisation the network sees them through.

As in TensorFlow Playground, the learner picks which functions of (x1, x2) feed the network:
the raw coordinates, their squares and product, and their sines. `feature_matrix` stacks the
chosen ones into the network's input; `Standardizer` rescales each column to mean 0 and standard
deviation 1, with statistics from the training set only, so that test points and the heat-map
grid are transformed exactly as the training points were.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from engine.data2d import DataError

# each maps inputs (n, 2) to one feature (n,)
FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x1": lambda x: x[:, 0],
    "x2": lambda x: x[:, 1],
    "x1_sq": lambda x: x[:, 0] ** 2,
    "x2_sq": lambda x: x[:, 1] ** 2,
    "x1_x2": lambda x: x[:, 0] * x[:, 1],
    "sin_x1": lambda x: np.sin(x[:, 0]),
    "sin_x2": lambda x: np.sin(x[:, 1]),
}
FEATURE_LABELS: dict[str, str] = {
    "x1": "x₁",
    "x2": "x₂",
    "x1_sq": "x₁²",
    "x2_sq": "x₂²",
    "x1_x2": "x₁x₂",
    "sin_x1": "sin(x₁)",
    "sin_x2": "sin(x₂)",
}


def feature_matrix(x: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """(n, len(names)) float64: the named features of the inputs x (n, 2), in the order given."""
    if not names:
        raise DataError("pick at least one input feature.")
    unknown = [name for name in names if name not in FEATURES]
    if unknown:
        raise DataError(f"unknown feature(s) {', '.join(unknown)}; choose from {', '.join(FEATURES)}.")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"inputs must have shape (n, 2), not {x.shape}")
    return np.stack([FEATURES[name](x) for name in names], axis=1)


@dataclasses.dataclass(frozen=True, eq=False)  # eq=False: arrays have no single truth value; compare by identity
class Standardizer:
    mean: np.ndarray  # (k,) column means of the training features
    std: np.ndarray  # (k,) column standard deviations (not variances), 1.0 where a column is constant

    def __post_init__(self) -> None:
        mean = np.array(self.mean, dtype=np.float64)  # copies, so freezing them leaves the caller's arrays alone
        std = np.array(self.std, dtype=np.float64)
        if mean.ndim != 1 or std.shape != mean.shape or not (std > 0).all():
            raise ValueError(f"mean and std must have the same shape (k,) and std > 0, not {mean.shape} and {std.shape}")
        mean.flags.writeable = std.flags.writeable = False
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    def __reduce__(self):  # unpickle through __init__, so the copy is checked and read-only too
        return Standardizer, (self.mean, self.std)

    @classmethod
    def fit(cls, features: np.ndarray) -> Standardizer:
        """Statistics of the training features (n, k); reuse them for test points and the grid."""
        features = np.asarray(features, dtype=np.float64)
        if features.ndim != 2 or len(features) == 0:
            raise ValueError(f"features must have shape (n, k) with n >= 1, not {features.shape}")
        mean = features.mean(axis=0)
        std = features.std(axis=0)
        # a constant column has std 0 up to rounding (relative to its size): leave it unscaled
        constant = std <= 1e-12 * np.maximum(1.0, np.abs(mean))
        return cls(mean, np.where(constant, 1.0, std))

    @classmethod
    def identity(cls, k: int) -> Standardizer:
        """Leaves k features as they are (standardisation switched off)."""
        return cls(np.zeros(k), np.ones(k))

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """(features - mean) / std, column by column; features (n, k) -> (n, k) float64."""
        features = np.asarray(features, dtype=np.float64)
        if features.ndim != 2 or features.shape[1] != len(self.mean):
            raise ValueError(f"features must have shape (n, {len(self.mean)}), not {features.shape}")
        return (features - self.mean) / self.std
