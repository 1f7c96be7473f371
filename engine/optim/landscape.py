"""A real network's loss landscape (Li et al., 2018, "Visualizing the Loss Landscape of Neural Nets").

Train a Playground network from its seed, keeping θ_0..θ_E (one per epoch), then map the training
loss L(θ* + α·d1 + β·d2) over a grid of (α, β) around the trained weights θ* = θ_E, and project the
path onto the same plane. Two choices of the directions d1, d2:

- "random", filter-normalised: d ~ N(0, I), then each filter — for a fully connected layer, one
  output unit's incoming weights, a row of W[l] — is rescaled to the norm of the same filter of θ*.
  Without it a plane through a network with large weights looks flat and one with small weights
  looks sharp; with it, landscapes of different networks can be compared. Biases and batch-norm
  γ, β get direction 0 (Li et al.'s "ignore bias/BN"); BN running statistics are kept as trained.
- "pca": the first two principal directions of [θ_0 − θ_E, …, θ_{E−1} − θ_E] (unit norm; a path
  longer than 256 epochs is sampled at 256 evenly spaced points, and its length is capped). Two
  random directions in a space of hundreds of dimensions are nearly orthogonal to the path, so a
  random plane shows little of it ("explained" says how much); the PCA plane shows most of it.

The map spans α, β ∈ [−span, span], widened to hold the whole projected path when it reaches
further (a PCA path spans the whole run, often several units). The loss is the mean data loss
on the training set in eval mode (dropout off, batch norm on its running statistics) without
the L1/L2 penalty — what the trainer's `evaluate()` calls "loss".
The work is split into steps (one epoch; the directions; a few grid rows) so the runtime can
time-slice it; losses that overflow far from θ* are stored as NaN (a gap on the map).
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from engine.config import ConfigError, check_choice, check_range
from engine.losses import loss_and_grad
from engine.mlp import MLP
from engine.playground.config import PlaygroundConfig
from engine.playground.trainer import PlaygroundTrainer

DIRECTIONS = ("random", "pca")
DIRECTION_LABELS = {"random": "random, filter-normalised", "pca": "PCA of the training path"}
MAX_PATH_VALUES = 16_000_000  # (epochs + 1) × parameters kept for the path: 128 MB of float64
PCA_ROWS = 256  # PCA of a long path uses this many evenly spaced points (the path is smooth)
ROW_SECONDS = 0.02  # a mapping step computes grid rows for about this long
EPOCH_WORK = 20.0  # an epoch costs about as much as this many grid points (for progress, measured)


@dataclasses.dataclass(frozen=True)
class LandscapeConfig(PlaygroundConfig):
    epochs: int = 200  # training epochs before the map
    resolution: int = 41  # grid points per axis
    span: float = 1.0  # α, β ∈ [−span, span], widened when the projected path reaches further
    directions: str = "random"
    direction_seed: int = 0

    HOT = frozenset()  # every change recomputes

    def check(self) -> None:
        super().check()
        check_range("epochs", self.epochs, 1, 5000)
        check_range("resolution", self.resolution, 5, 101)
        check_range("span", self.span, 0.05, 10.0)
        check_choice("directions", self.directions, DIRECTIONS)
        check_range("direction_seed", self.direction_seed, 0, 10**6)
        sizes, bn = self.architecture().sizes, self.batch_norm
        n = sum((a + 1) * b + 2 * b * (l < len(bn) and bn[l]) for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)))
        if (self.epochs + 1) * n > MAX_PATH_VALUES:
            raise ConfigError(f"{self.epochs} epochs of a {n:,}-parameter network is too long a path to keep: "
                              "use fewer epochs or a smaller network.")


# -- directions and projection (pure functions of arrays) ---------------------------------------------
def parameter_slices(net: MLP) -> dict[tuple[str, int], slice]:
    """Where each named parameter (W, b, gamma, beta of layer l) lies in net.theta: its views share
    theta's memory, so the offset is the distance between the two buffers."""
    base, size = net.theta.ctypes.data, net.theta.itemsize
    return {key: slice((v.ctypes.data - base) // size, (v.ctypes.data - base) // size + v.size) for key, v in net.params.items()}


def random_direction(net: MLP, rng: np.random.Generator) -> np.ndarray:
    """d ~ N(0, I) shaped like theta, each row of each W[l] scaled to the norm of θ*'s row; 0 elsewhere."""
    d = rng.standard_normal(net.theta.size)
    out = np.zeros_like(d)
    for key, s in parameter_slices(net).items():
        if key[0] != "W":
            continue  # biases and batch-norm γ, β are left out
        theirs = net.params[key]  # (n_out, n_in): z = a Wᵀ, so a row is one output unit's filter
        rows = d[s].reshape(theirs.shape)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        out[s] = (rows / np.where(norms > 0, norms, 1.0) * np.linalg.norm(theirs, axis=1, keepdims=True)).ravel()
    return out


def pca_directions(offsets: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """The first two principal directions of the path's offsets θ_t − θ_E (t < E), unit norm, and the
    fraction of the offsets' variance each explains. offsets: (E + 1, P). Signs put θ_0 at positive
    coordinates. Through the small Gram matrix: M = U S Vᵀ ⇒ M Mᵀ = U S² Uᵀ and v = Mᵀu / ‖Mᵀu‖."""
    E = len(offsets) - 1
    M = offsets[np.unique(np.linspace(0, E - 1, min(E, PCA_ROWS)).round().astype(int))]  # (m, P)
    K = M @ M.T  # (m, m)
    lam, U = np.linalg.eigh(K)  # ascending
    total = max(float(np.trace(K)), 1e-300)
    dirs, variance = [], []
    for value, u in zip(lam[::-1][:2], U[:, ::-1].T, strict=False):
        if value > 1e-12 * total:
            v = M.T @ u
            dirs.append(v / np.linalg.norm(v))
            variance.append(float(value / total))
    while len(dirs) < 2:  # a one-epoch path (or one that never moved) spans fewer directions: complete the plane
        d = rng.standard_normal(M.shape[1])
        for v in dirs:
            d -= (d @ v) * v
        dirs.append(d / np.linalg.norm(d))
        variance.append(0.0)
    d1, d2 = (d if M[0] @ d >= 0 else -d for d in dirs)
    return d1, d2, (variance[0], variance[1])


def project(offsets: np.ndarray, d1: np.ndarray, d2: np.ndarray) -> tuple[np.ndarray, float]:
    """Coordinates (T, 2) of each offset θ_t − θ* (rows of offsets, (T, P)) in the plane of d1, d2 —
    least squares, as they need not be orthogonal — and the mean fraction ‖projection‖ / ‖θ_t − θ*‖ over
    the points away from θ*. Normal equations through the 2 × 2 Gram matrix: no (T, P) temporaries."""
    D = np.stack([d1, d2], axis=1)  # (P, 2)
    G = D.T @ D  # (2, 2); pinv: a zero direction (all-zero weights) gets coordinate 0
    coords = offsets @ D @ np.linalg.pinv(G)  # (T, 2)
    distance = np.sqrt(np.einsum("tp,tp->t", offsets, offsets))
    shown = np.sqrt(np.maximum(np.einsum("ti,ij,tj->t", coords, G, coords), 0.0))  # ‖D c‖ = √(cᵀ G c)
    away = distance > 0
    return coords, float((shown[away] / distance[away]).mean()) if away.any() else 1.0


# -- the trainer -----------------------------------------------------------------------------------------
class LandscapeTrainer:
    unit = "stage"

    def __init__(self, config: LandscapeConfig, device: object = None) -> None:  # trains on the CPU, as the Playground does
        self.config = config
        self.inner = PlaygroundTrainer(config)
        self.net = self.inner.net
        self.n_parameters = self.net.n_parameters
        E, r = config.epochs, config.resolution
        self._path = np.empty((E + 1, self.n_parameters))  # θ_0..θ_E; freed once projected
        self._path[0] = self.net.theta
        self.path_loss = [self._train_loss()]
        self.epochs_done, self.rows_done = 0, 0
        self.center: np.ndarray | None = None  # θ*, once trained
        self.train_accuracy = math.nan
        self.directions: tuple[np.ndarray, np.ndarray] | None = None
        self.pca_variance: tuple[float, ...] = ()
        self.path, self.explained = np.zeros((0, 2)), 0.0
        self.alphas = _axis(config.span, r)
        self.grid = np.full((r, r), np.nan)  # [beta_index, alpha_index]
        self.done_reason = f"Landscape complete: {r} × {r} points."

    # -- the Trainer protocol ---------------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self.epochs_done < self.config.epochs:
                loss = self._train_epoch()
            elif self.directions is None:
                self._find_directions()
                loss = self.path_loss[-1]
            else:
                self._map_rows()
                loss = self.path_loss[-1]
        return {"loss": loss, "progress": self.progress}

    @property
    def done(self) -> bool:
        return self.rows_done == self.config.resolution

    @property
    def progress(self) -> float:
        c = self.config
        total = (c.epochs + 1) * EPOCH_WORK + c.resolution**2
        work = (self.epochs_done + (self.directions is not None)) * EPOCH_WORK + self.rows_done * c.resolution
        return 1.0 if self.done else work / total

    def snapshot(self) -> dict:
        c = self.config
        stage = "done" if self.done else "training" if self.epochs_done < c.epochs else "mapping"
        payload = {
            "stage": stage, "progress": self.progress, "epochs": c.epochs, "epochs_done": self.epochs_done,
            "rows_done": self.rows_done, "resolution": c.resolution, "alphas": self.alphas.copy(), "betas": self.alphas.copy(),
            "grid": self.grid.copy(), "path": self.path.copy(), "path_loss": np.array(self.path_loss),
            "center_loss": self.path_loss[-1], "explained": self.explained, "pca_variance": self.pca_variance,
            "directions": c.directions, "n_parameters": self.n_parameters,
        }
        if self.inner.k and self.center is not None:  # classification
            payload["train_accuracy"] = self.train_accuracy
        return payload

    def apply(self, config: LandscapeConfig, changed: frozenset[str]) -> None:
        self.config = config  # nothing is hot: any real change rebuilds the trainer

    def parameters_finite(self) -> bool:
        return self.inner.parameters_finite()

    def divergence_hint(self) -> str:
        return self.inner.divergence_hint()

    # -- the stages -------------------------------------------------------------------------------------
    def _train_loss(self) -> float:
        z, _ = self.net.forward(self.inner.x_train)  # eval mode
        return loss_and_grad(self.inner.loss_spec, z, self.inner.train.y, self.inner.k)[0]

    def _train_epoch(self) -> float:
        metrics = self.inner.step()
        self.epochs_done += 1
        self._path[self.epochs_done] = self.net.theta
        self.path_loss.append(metrics["loss"])
        if self.epochs_done == self.config.epochs:
            self.center = self.net.theta.copy()
            self.train_accuracy = metrics.get("accuracy", math.nan)
        return metrics["loss"]

    def _find_directions(self) -> None:
        rng = np.random.default_rng(self.config.direction_seed)
        offsets, self._path = self._path, None
        offsets -= self.center  # in place: the path is only needed as offsets from θ* from now on
        if self.config.directions == "random":
            self.directions = (random_direction(self.net, rng), random_direction(self.net, rng))
        else:
            d1, d2, self.pca_variance = pca_directions(offsets, rng)
            self.directions = (d1, d2)
        self.path, self.explained = project(offsets, *self.directions)
        reach = 1.1 * float(np.abs(self.path).max(initial=0.0))
        if reach > self.config.span:  # widen the map so the whole projected path lies on it (PCA paths often reach far)
            self.alphas = _axis(reach, self.config.resolution)

    def _map_rows(self) -> None:
        theta, (d1, d2) = self.net.theta, self.directions
        start, last = time.perf_counter(), min(self.rows_done + max(1, self.config.resolution // 4), self.config.resolution)
        try:  # at least one row, then rows until the step has taken ROW_SECONDS, at most a quarter of the grid
            while self.rows_done < last:
                i = self.rows_done
                row = self.center + self.alphas[i] * d2  # β = alphas[i] (the grid is square and symmetric)
                for j, alpha in enumerate(self.alphas):
                    theta[:] = row + alpha * d1
                    loss = self._train_loss()
                    self.grid[i, j] = loss if math.isfinite(loss) else np.nan
                self.rows_done += 1
                if time.perf_counter() - start > ROW_SECONDS:
                    break
        finally:
            theta[:] = self.center


def _axis(half_width: float, n: int) -> np.ndarray:
    a = np.linspace(-half_width, half_width, n)
    return (a - a[::-1]) / 2  # exactly antisymmetric: the middle of an odd grid is exactly 0, i.e. θ*


def compute_landscape(config: LandscapeConfig) -> dict:
    """Run a LandscapeTrainer to completion and return its final snapshot payload (bench, tests)."""
    trainer = LandscapeTrainer(config)
    while not trainer.done:
        trainer.step()
    return trainer.snapshot()
