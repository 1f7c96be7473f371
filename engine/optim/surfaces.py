"""Two-dimensional loss surfaces to race optimizers on: f(θ), its gradient, its Hessian.

Each surface is written once as an expression over `xp` (NumPy or torch), so tests can check
the hand-written gradient against autograd and run `torch.optim` on the very same function.
All functions take arrays of x and y of any (matching) shape: a whole contour grid in one call.

    quadratic    ½ (x² + κ y²)                     Hessian diag(1, κ): condition number κ
    turned       the same bowl turned by 45°: u = (x + y)/√2, v = (y − x)/√2, ½ (u² + κ v²)
    rosenbrock   (1 − x)² + 100 (y − x²)²           a curved, flat-bottomed valley; minimum (1, 1)
    beale        (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²; minimum (3, ½)
    himmelblau   (x² + y − 11)² + (x + y² − 7)²     four minima of equal height 0
    saddle       x² − y²                            a saddle point at the origin, unbounded below
    plateau      tanh(½ (x² + y²))                  nearly flat far out: gradients vanish
    multiwell    a shallow bowl with three Gaussian wells of different depths (local minima)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

# the multi-well surface: a bowl 0.05 (x² + y²) minus wells depth · exp(−|θ − c|² / width)
_R = 0.5**0.5  # cos 45°
WELLS = ((2.0, 1.0, 2.0, 1.0), (-1.5, -1.5, 1.5, 0.8), (-2.0, 2.2, 1.2, 0.5))  # (cx, cy, depth, width)


def _quadratic(x, y, k, xp):
    return 0.5 * (x * x + k * y * y)


def _quadratic_grad(x, y, k):
    return x, k * y


def _turned(x, y, k, xp):
    u, v = (x + y) * _R, (y - x) * _R
    return 0.5 * (u * u + k * v * v)


def _turned_grad(x, y, k):
    u, v = (x + y) * _R, (y - x) * _R
    return _R * (u - k * v), _R * (u + k * v)


def _rosenbrock(x, y, k, xp):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _rosenbrock_grad(x, y, k):
    return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


def _beale(x, y, k, xp):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _beale_grad(x, y, k):
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    gx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
    gy = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y**2
    return gx, gy


def _himmelblau(x, y, k, xp):
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def _himmelblau_grad(x, y, k):
    a, b = x * x + y - 11, x + y * y - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


def _saddle(x, y, k, xp):
    return x * x - y * y


def _saddle_grad(x, y, k):
    return 2 * x, -2 * y


def _plateau(x, y, k, xp):
    return xp.tanh(0.5 * (x * x + y * y))


def _plateau_grad(x, y, k):
    s = 1 - np.tanh(0.5 * (x * x + y * y)) ** 2
    return s * x, s * y


def _multiwell(x, y, k, xp):
    f = 0.05 * (x * x + y * y)
    for cx, cy, depth, width in WELLS:
        f = f - depth * xp.exp(-((x - cx) ** 2 + (y - cy) ** 2) / width)
    return f


def _multiwell_grad(x, y, k):
    gx, gy = 0.1 * x, 0.1 * y
    for cx, cy, depth, width in WELLS:
        e = depth * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / width) * 2 / width
        gx, gy = gx + e * (x - cx), gy + e * (y - cy)
    return gx, gy


@dataclasses.dataclass(frozen=True)
class Surface:
    key: str
    label: str
    formula: str  # LaTeX
    extent: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max of the map
    start: tuple[float, float]  # a start point that tells the surface's story
    minima: tuple[tuple[float, float], ...]  # known minima (computed for the multi-well surface)
    log_scale: bool  # f ≥ 0 with minimum 0: colour and loss curves on a log scale
    lesson: str  # what to look for
    expression: Callable[..., Any]
    gradient: Callable[..., tuple[Any, Any]]

    def f(self, x, y, condition: float = 1.0, xp: Any = np):
        return self.expression(x, y, condition, xp)

    def grad(self, x, y, condition: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        return self.gradient(x, y, condition)

    def hessian(self, theta: np.ndarray, condition: float = 1.0) -> np.ndarray:
        """(…, 2, 2) Hessians at points (…, 2), by central differences of the exact gradient
        (exact for the quadratic, whose gradient is linear; ~1e-8 relative elsewhere)."""
        theta = np.asarray(theta, dtype=float)
        h = 1e-5 * np.maximum(1.0, np.abs(theta))
        out = np.empty(theta.shape + (2,))
        for j in range(2):
            step = np.zeros_like(theta)
            step[..., j] = h[..., j]
            up = np.stack(self.grad(*np.moveaxis(theta + step, -1, 0), condition), axis=-1)
            down = np.stack(self.grad(*np.moveaxis(theta - step, -1, 0), condition), axis=-1)
            out[..., :, j] = (up - down) / (2 * h[..., j : j + 1])
        return 0.5 * (out + np.swapaxes(out, -1, -2))

    @property
    def bounded_below(self) -> bool:
        return self.key != "saddle"

    def minimum_value(self, condition: float = 1.0) -> float | None:
        """The global minimum of f, or None when f is unbounded below."""
        if not self.minima:
            return None
        return float(min(self.f(x, y, condition) for x, y in self.minima))

    def grid(self, n: int = 200, condition: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xs, ys, Z) over the map's extent, Z[i, j] = f(xs[j], ys[i])."""
        x0, x1, y0, y1 = self.extent
        xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
        X, Y = np.meshgrid(xs, ys)
        return xs, ys, self.f(X, Y, condition)


@functools.cache
def _multiwell_minima() -> tuple[tuple[float, float], ...]:
    """Each well's local minimum, found by Newton's method from the well's centre."""
    found = []
    s = SURFACES_BASE["multiwell"]
    for cx, cy, _, _ in WELLS:
        p = np.array([cx, cy], dtype=float)
        for _ in range(50):
            p = p - np.linalg.solve(s.hessian(p), np.array(s.grad(*p)))
        found.append((round(float(p[0]), 6), round(float(p[1]), 6)))
    return tuple(found)


SURFACES_BASE = {
    s.key: s
    for s in (
        Surface("quadratic", "ill-conditioned quadratic", r"\tfrac12\,(x^2 + \kappa\, y^2)", (-5, 5, -5, 5), (-4.0, 2.0),
                ((0.0, 0.0),), True,
                "The curvature across the valley is κ times the curvature along it. Plain gradient descent must keep η below 2/κ "
                "or it diverges across the valley, so along the valley it moves only about 2/κ of the way per step: with a large "
                "κ (try 100) it crawls, while momentum and Adam keep moving.",
                _quadratic, _quadratic_grad),
        Surface("turned", "ill-conditioned quadratic, turned 45°", r"\tfrac12\,(u^2 + \kappa\, v^2),\ u = \tfrac{x+y}{\sqrt2},\ "
                r"v = \tfrac{y-x}{\sqrt2}", (-5, 5, -5, 5), (-4.0, -1.0), ((0.0, 0.0),), True,
                "The same bowl, turned. AdaGrad, RMSprop and Adam rescale each coordinate on its own, which suits a "
                "valley along an axis; along the diagonal both coordinates see the same steep curvature, and their "
                "advantage over momentum shrinks.", _turned, _turned_grad),
        Surface("rosenbrock", "Rosenbrock", r"(1 - x)^2 + 100\,(y - x^2)^2", (-2, 2, -1, 3), (-1.5, 2.5), ((1.0, 1.0),), True,
                "Finding the curved valley is easy; following its nearly flat floor to (1, 1) is the hard part.",
                _rosenbrock, _rosenbrock_grad),
        Surface("beale", "Beale", r"(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2", (-4.5, 4.5, -4.5, 4.5),
                (1.0, 1.4), ((3.0, 0.5),), True,
                "Steep walls and flat plateaus side by side: a learning rate that is safe on the walls is far too small on "
                "the flats. Adaptive methods rescale each coordinate.", _beale, _beale_grad),
        Surface("himmelblau", "Himmelblau", r"(x^2 + y - 11)^2 + (x + y^2 - 7)^2", (-5, 5, -5, 5), (-0.5, -0.75),
                ((3.0, 2.0), (-2.805118, 3.131313), (-3.779310, -3.283186), (3.584428, -1.848126)), True,
                "Four minima of equal depth: from the same start, different optimizers end in different minima.",
                _himmelblau, _himmelblau_grad),
        Surface("saddle", "saddle x² − y²", r"x^2 - y^2", (-2, 2, -2, 2), (-1.8, 0.02), (), False,
                "Near the saddle point the gradient vanishes: plain gradient descent lingers before it escapes along y; "
                "momentum escapes sooner. Newton's method jumps straight onto the saddle (it seeks any point with zero "
                "gradient).", _saddle, _saddle_grad),
        Surface("plateau", "plateau (tanh)", r"\tanh\!\big(\tfrac12 (x^2 + y^2)\big)", (-4, 4, -4, 4), (-2.6, 1.6),
                ((0.0, 0.0),), True,
                "Far from the centre the surface is almost flat, so gradients are tiny: SGD barely moves. Adam divides by the "
                "gradient's own size and walks off the plateau at about η per coordinate; RMSprop, without bias correction, "
                "starts with steps of η/√(1 − ρ^t), ten times η at first for ρ = 0.99.", _plateau, _plateau_grad),
        Surface("multiwell", "multi-well", r"0.05\,(x^2+y^2) - \sum_i d_i\, e^{-\lVert\theta - c_i\rVert^2 / w_i}",
                (-4, 4, -4, 4), (-3.5, 0.5), (), False,
                "Three wells of different depths: which one an optimizer falls into depends on where it starts, its "
                "learning rate and its momentum — a small picture of local minima.", _multiwell, _multiwell_grad),
    )
}


def _with_minima() -> dict[str, Surface]:
    surfaces = dict(SURFACES_BASE)
    surfaces["multiwell"] = dataclasses.replace(SURFACES_BASE["multiwell"], minima=_multiwell_minima())
    return surfaces


SURFACES: dict[str, Surface] = _with_minima()
