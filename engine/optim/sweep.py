"""The learning-rate sweep: every racer of a race, re-run at each learning rate of a log grid.

Each racer's row of learning rates runs as one batch (θ has shape (rates, 2), η shape
(rates, 1)), so the whole heat map costs about as much as one race per racer. A cell holds the
final loss (NaN when that run diverged, with the step where it did) and the first step at which
f − f* fell below the tolerance, from which the best stable rate of each optimizer is read.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from engine.optim.race import TOLERANCE, RaceConfig, Racer, diverged
from engine.optim.surfaces import SURFACES
from engine.schedules import learning_rate


@dataclasses.dataclass(frozen=True)
class Sweep:
    learning_rates: np.ndarray  # (m,)
    labels: tuple[str, ...]  # (n,) racers, without their own η
    final: np.ndarray  # (n, m) final loss, NaN where diverged
    diverged_at: np.ndarray  # (n, m) step of divergence, −1 if none
    reached_at: np.ndarray  # (n, m) first step with f − f* < tolerance, −1 if never
    steps: int

    def best(self, i: int) -> tuple[float, int]:
        """Racer i's best learning rate and the steps it takes to reach the tolerance there
        (−1 steps: no rate reached it; then the rate with the lowest final loss, NaN if all diverged)."""
        reached = self.reached_at[i]
        if (reached >= 0).any():
            j = int(np.argmin(np.where(reached >= 0, reached, np.iinfo(reached.dtype).max)))
            return float(self.learning_rates[j]), int(reached[j])
        final = self.final[i]
        if np.isnan(final).all():
            return float("nan"), -1
        return float(self.learning_rates[int(np.nanargmin(final))]), -1

    def largest_stable(self, i: int) -> float:
        """The largest rate of the grid at which racer i did not diverge (NaN if none)."""
        ok = self.diverged_at[i] < 0
        return float(self.learning_rates[ok].max()) if ok.any() else float("nan")


def log_grid(low: float = 1e-4, high: float = 10.0, per_decade: int = 6) -> np.ndarray:
    decades = np.log10(high) - np.log10(low)
    return np.logspace(np.log10(low), np.log10(high), int(round(decades * per_decade)) + 1)


def sweep(config: RaceConfig, learning_rates: np.ndarray, steps: int | None = None) -> Sweep:
    """Every racer of `config` at every learning rate, `steps` steps each (default: config.steps)."""
    steps = config.steps if steps is None else steps
    surface = SURFACES[config.surface]
    f_min = surface.minimum_value(config.condition)
    rates = np.asarray(learning_rates, dtype=float)
    n, m = config.n_racers, len(rates)
    final = np.full((n, m), np.nan)
    diverged_at = np.full((n, m), -1)
    reached_at = np.full((n, m), -1)
    schedule = config.schedule_spec()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for i in range(n):
            racer = Racer(config, i, surface, rates[:, None], batch=m)
            for t in range(1, steps + 1):
                racer.step(learning_rate(schedule, rates[:, None], t - 1))
                loss = racer.loss()
                out = diverged(racer.theta, loss) & (diverged_at[i] < 0)
                diverged_at[i, out] = t
                racer.theta[diverged_at[i] >= 0] = np.nan  # stays NaN: no further warnings or work to read
                if f_min is not None:
                    hit = (reached_at[i] < 0) & (diverged_at[i] < 0) & (loss - f_min < TOLERANCE)
                    reached_at[i, hit] = t
            final[i] = np.where(diverged_at[i] < 0, racer.loss(), np.nan)
    labels = tuple(config.label(i).split(" η=")[0] + _extras(config, i) for i in range(n))
    return Sweep(rates, labels, final, diverged_at, reached_at, steps)


def _extras(config: RaceConfig, i: int) -> str:
    """What tells two racers of the same optimizer apart, besides η."""
    name = config.optimizers[i]
    if name in ("momentum", "nesterov"):
        return f" β={config.momenta[i]:g}"
    if name == "rmsprop":
        return f" ρ={config.rhos[i]:g}"
    if name in ("adam", "adamw"):
        return "" if config.bias_corrections[i] else " (no bias corr.)"
    return ""
