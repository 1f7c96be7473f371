"""A real network's loss landscape: filter-normalised directions, the grid's centre, the path's
projection, PCA against random planes, progress, determinism, validation and a run in the runtime."""

from __future__ import annotations

import numpy as np
import pytest

from engine.config import ConfigError
from engine.optim.landscape import (
    LandscapeConfig,
    LandscapeTrainer,
    compute_landscape,
    parameter_slices,
    project,
)
from engine.runtime import JobState, Runtime

SPIRAL = dict(hidden=(8, 8), activations=("tanh", "tanh"), keep_probs=(1.0, 1.0), batch_norm=(False, False),
              dataset="spiral", n_points=400)


def run_to_directions(config: LandscapeConfig) -> LandscapeTrainer:
    trainer = LandscapeTrainer(config)
    while trainer.directions is None:
        trainer.step()
    return trainer


def test_random_directions_are_filter_normalised_and_leave_biases_and_batch_norm_out():
    config = LandscapeConfig(hidden=(6, 4), activations=("relu", "tanh"), keep_probs=(1.0, 1.0), batch_norm=(True, False),
                             epochs=5, resolution=5)
    trainer = run_to_directions(config)
    d1, d2 = trainer.directions
    checked = set()
    for (name, l), s in parameter_slices(trainer.net).items():
        if name == "W":
            theirs = trainer.center[s].reshape(trainer.net.W[l].shape)  # (n_out, n_in): a row per output unit
            ours = d1[s].reshape(theirs.shape)
            np.testing.assert_allclose(np.linalg.norm(ours, axis=1), np.linalg.norm(theirs, axis=1), rtol=1e-12)
            assert not np.allclose(ours, theirs), "a random direction, not θ* itself"
        else:
            assert not d1[s].any() and not d2[s].any(), f"{name}[{l}] must get direction 0"
        checked.add(name)
    assert checked == {"W", "b", "gamma", "beta"}
    assert not np.allclose(d1, d2), "d2 is a second draw"


def test_grid_centre_is_the_trained_loss_and_theta_star_is_restored():
    trainer = LandscapeTrainer(LandscapeConfig(**SPIRAL, epochs=20, resolution=7, span=0.5))
    while not trainer.done:
        trainer.step()
    payload = trainer.snapshot()
    assert payload["alphas"][3] == 0.0 and payload["alphas"][0] == -0.5 and payload["alphas"][-1] == 0.5
    assert np.array_equal(trainer.net.theta, trainer.center), "θ* is back in place after mapping"
    assert payload["grid"][3, 3] == payload["center_loss"] == trainer.inner.evaluate()["loss"]
    assert payload["path_loss"].shape == (21,) and payload["path_loss"][-1] == payload["center_loss"]
    assert np.nanmin(payload["grid"]) < payload["grid"][0, 0], "the map is not flat"


def test_projection_is_exact_in_the_plane_and_theta_star_is_the_origin():
    rng = np.random.default_rng(1)
    d1 = rng.standard_normal(50)
    d2 = 0.5 * d1 + rng.standard_normal(50)  # not orthogonal
    outside = rng.standard_normal(50)
    D = np.stack([d1, d2], axis=1)
    outside -= D @ np.linalg.lstsq(D, outside, rcond=None)[0]  # orthogonal to the plane
    offsets = np.stack([0.3 * d1 - 0.7 * d2, 1.2 * d1 + 0.1 * d2, outside, np.zeros(50)])
    coords, explained = project(offsets, d1, d2)
    np.testing.assert_allclose(coords, [(0.3, -0.7), (1.2, 0.1), (0.0, 0.0), (0.0, 0.0)], atol=1e-12)
    assert explained == pytest.approx(2 / 3), "two points fully in the plane, one not at all; θ* itself is skipped"
    path = compute_landscape(LandscapeConfig(**SPIRAL, epochs=10, resolution=5))["path"]
    assert path.shape == (11, 2) and np.array_equal(path[-1], (0.0, 0.0))


def test_a_pca_plane_shows_more_of_the_path_than_a_random_one():
    pca = compute_landscape(LandscapeConfig(**SPIRAL, epochs=60, resolution=5, directions="pca"))
    random = compute_landscape(LandscapeConfig(**SPIRAL, epochs=60, resolution=5, directions="random"))
    assert pca["explained"] > 0.7 and pca["explained"] > random["explained"]
    first, second = pca["pca_variance"]
    assert first + second <= 1.0 and first >= second > 0
    assert random["pca_variance"] == ()
    assert pca["path"][0, 0] > 0, "signs put θ_0 on the positive side"
    narrow = compute_landscape(LandscapeConfig(**SPIRAL, epochs=60, resolution=5, directions="pca", span=0.05))
    for result in (pca, random, narrow):  # the map widens when the path reaches beyond the span, never narrows
        assert np.abs(result["path"]).max() <= result["alphas"].max()
    assert random["alphas"].max() == 1.0 and narrow["alphas"].max() > 0.05


def test_progress_is_monotone_the_map_fills_in_over_steps_and_ends_at_one():
    trainer = LandscapeTrainer(LandscapeConfig(**SPIRAL, epochs=8, resolution=9))
    progress, stages, partial = [trainer.progress], [], False
    while not trainer.done:
        metrics = trainer.step()
        assert np.isfinite(metrics["loss"])
        progress.append(metrics["progress"])
        snap = trainer.snapshot()
        stages.append(snap["stage"])
        partial |= 0 < snap["rows_done"] < 9 and np.isnan(snap["grid"]).any() and not np.isnan(snap["grid"][0]).any()
    assert all(a <= b for a, b in zip(progress, progress[1:], strict=False))
    assert progress[0] == 0.0 and progress[-1] == 1.0 and progress[-2] < 1.0
    assert stages[0] == "training" and "mapping" in stages and stages[-1] == "done"
    assert partial, "the grid is computed over several steps, never all at once"
    assert not np.isnan(trainer.snapshot()["grid"]).any()


def test_same_seeds_give_the_same_landscape_and_another_direction_seed_another():
    config = LandscapeConfig(**SPIRAL, epochs=10, resolution=5)
    a, b = compute_landscape(config), compute_landscape(config)
    assert np.array_equal(a["grid"], b["grid"]) and np.array_equal(a["path"], b["path"])
    c = compute_landscape(config.replace(direction_seed=1))
    assert not np.array_equal(a["grid"], c["grid"])
    assert a["center_loss"] == c["center_loss"], "the same trained network"


@pytest.mark.parametrize("changes", [dict(resolution=3), dict(span=0.0), dict(directions="hessian"), dict(epochs=0),
                                     dict(hidden=(64,) * 8, activations=("relu",) * 8, keep_probs=(1.0,) * 8,
                                          batch_norm=(False,) * 8, epochs=1000)])
def test_bad_settings_are_refused(changes):
    with pytest.raises(ConfigError):
        LandscapeConfig().replace(**changes)


def test_a_short_landscape_runs_to_done_in_the_runtime():
    rt = Runtime(workers=1)
    try:
        run = rt.start("t", LandscapeTrainer, LandscapeConfig(epochs=5, resolution=9))
        snap = rt.wait(run, lambda s: s.state.is_terminal, timeout=60)
        assert snap.state is JobState.DONE and snap.reason == "Landscape complete: 9 × 9 points."
        payload = snap.payload
        assert payload["stage"] == "done" and payload["progress"] == 1.0
        assert payload["grid"].shape == (9, 9) and np.isfinite(payload["grid"]).all()
    finally:
        rt.shutdown()
