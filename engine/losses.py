"""Loss functions with their gradients, for networks trained by hand-written back-propagation.

Each loss takes the output layer's pre-activations z (n, k) and the targets, and returns the
mean loss over the n examples and dL/dz (n, k) of that mean. The output head depends on the task:

- regression: ŷ = z (k = 1); MSE ½(y − ŷ)², MAE |y − ŷ|, Huber(δ).
- two classes (k = 1): p = σ(z) for BCE and focal; for MSE/MAE/Huber ŷ = tanh(z) against ±1
  (TensorFlow Playground's convention). "cross_entropy" with two classes is BCE.
- K ≥ 3 classes (k = K): p = softmax(z); CE and focal on p; MSE/MAE/Huber on p against one-hot.

Focal loss FL(p_t) = −α_t (1 − p_t)^γ log p_t (Lin et al., 2017); with γ = 0 and no α-balancing
(α_t = 1) it is exactly cross-entropy. α-balancing (α_t = α for class 1, 1 − α for class 0)
applies to two-class problems.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from engine.activations import sigmoid

LOSSES = ("mse", "mae", "huber", "bce", "cross_entropy", "focal")
REGRESSION_LOSSES = ("mse", "mae", "huber")
LABELS = {"mse": "MSE", "mae": "MAE", "huber": "Huber", "bce": "binary cross-entropy",
          "cross_entropy": "cross-entropy", "focal": "focal"}
_TINY = 1e-12


@dataclasses.dataclass(frozen=True)
class LossSpec:
    name: str = "mse"
    huber_delta: float = 1.0
    focal_gamma: float = 2.0
    focal_alpha: float = 0.25
    focal_balance: bool = True  # α-balancing on (α_t = α or 1 − α) or off (α_t = 1)


def softplus(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _distance(spec: LossSpec, diff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-element loss and its derivative for the regression-style losses, of diff = ŷ − y."""
    if spec.name == "mse":
        return 0.5 * diff * diff, diff
    if spec.name == "mae":
        return np.abs(diff), np.sign(diff)
    d = spec.huber_delta
    small = np.abs(diff) <= d
    return np.where(small, 0.5 * diff * diff, d * (np.abs(diff) - 0.5 * d)), np.where(small, diff, d * np.sign(diff))


def loss_and_grad(spec: LossSpec, z: np.ndarray, y: np.ndarray, n_classes: int) -> tuple[float, np.ndarray]:
    """Mean loss over the batch and its gradient with respect to z. y: class ids or targets (n,)."""
    n = len(z)
    if n_classes == 0:  # regression
        value, grad = _distance(spec, z[:, 0] - y)
        return float(value.mean()), grad[:, None] / n
    if n_classes == 2:
        return _binary(spec, z[:, 0], y, n)
    return _multiclass(spec, z, y, n)


def _binary(spec: LossSpec, z: np.ndarray, y: np.ndarray, n: int) -> tuple[float, np.ndarray]:
    t = y.astype(z.dtype)  # 0 or 1
    if spec.name in REGRESSION_LOSSES:
        yhat = np.tanh(z)
        value, grad = _distance(spec, yhat - (2.0 * t - 1.0))
        return float(value.mean()), (grad * (1.0 - yhat * yhat))[:, None] / n
    if spec.name in ("bce", "cross_entropy"):
        # −[t log σ(z) + (1 − t) log(1 − σ(z))] = softplus(z) − t·z, stable for any z
        return float((softplus(z) - t * z).mean()), (sigmoid(z) - t)[:, None] / n
    p = sigmoid(z)
    s = 2.0 * t - 1.0  # +1 for class 1, −1 for class 0: p_t = p or 1 − p, dp_t/dz = s·p_t(1 − p_t)
    p_t = np.where(t > 0, p, 1.0 - p)
    log_p_t = -softplus(-s * z)  # log σ(s·z) = log p_t, stable
    alpha_t = np.where(t > 0, spec.focal_alpha, 1.0 - spec.focal_alpha) if spec.focal_balance else 1.0
    g = spec.focal_gamma
    one_minus = np.maximum(1.0 - p_t, _TINY)
    value = -alpha_t * one_minus**g * log_p_t
    # dFL/dz = −α_t·s·[(1 − p_t)^(γ+1) − γ·p_t·(1 − p_t)^γ·log p_t]
    grad = -alpha_t * s * (one_minus ** (g + 1) - g * p_t * one_minus**g * log_p_t)
    return float(value.mean()), grad[:, None] / n


def _multiclass(spec: LossSpec, z: np.ndarray, y: np.ndarray, n: int) -> tuple[float, np.ndarray]:
    p = softmax(z)
    onehot = np.zeros_like(p)
    onehot[np.arange(n), y] = 1.0
    if spec.name in REGRESSION_LOSSES:
        value, dp = _distance(spec, p - onehot)
        # back through softmax: dz = p ⊙ (dp − Σ_k dp_k p_k)
        grad = p * (dp - (dp * p).sum(axis=1, keepdims=True))
        return float(value.sum(axis=1).mean()), grad / n
    log_p = z - z.max(axis=1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    log_p_y = log_p[np.arange(n), y]
    if spec.name == "cross_entropy":
        return float(-log_p_y.mean()), (p - onehot) / n
    p_y = p[np.arange(n), y]
    g = spec.focal_gamma
    one_minus = np.maximum(1.0 - p_y, _TINY)
    value = -(one_minus**g) * log_p_y
    # dFL/dp_y · dp_y/dz with dp_y/dz = p_y (onehot − p)
    coeff = one_minus**g - g * p_y * one_minus ** (g - 1) * log_p_y
    return float(value.mean()), -(coeff[:, None] * (onehot - p)) / n


def probabilities(spec: LossSpec, z: np.ndarray, n_classes: int) -> np.ndarray:
    """What the network predicts: P(class 1) (n,) for two classes, (n, K) for more; ŷ for regression."""
    if n_classes == 0:
        return z[:, 0]
    if n_classes == 2:
        return (np.tanh(z[:, 0]) + 1.0) / 2.0 if spec.name in REGRESSION_LOSSES else sigmoid(z[:, 0])
    return softmax(z)
