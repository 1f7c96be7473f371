"""The optimizer race: surfaces against autograd, every racer against torch.optim on the same
surface, Newton, bias correction, divergence, the sweep, and the curriculum's claim on the
ill-conditioned bowl (computed at each optimizer's best rate, not assumed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.config import ConfigError
from engine.optim.race import NEWTON, RaceConfig, RaceTrainer, racer_config, run_race
from engine.optim.surfaces import SURFACES
from engine.optim.sweep import log_grid, sweep
from engine.optimizers import OPTIMIZERS
from engine.runtime import JobState, Runtime
from tests.engine.test_optimizers import TORCH


def race(*racers: dict, surface: str = "quadratic", **kw) -> RaceConfig:
    """A race of these racers (one-racer settings, defaults for the rest) from the surface's start."""
    return RaceConfig().on_surface(surface).with_racers(racers).replace(**kw)


@pytest.mark.parametrize("name", SURFACES)
def test_gradient_and_hessian_match_autograd(name):
    surface = SURFACES[name]
    rng = np.random.default_rng(0)
    x0, x1, y0, y1 = surface.extent
    for x, y in zip(rng.uniform(x0, x1, 5), rng.uniform(y0, y1, 5), strict=True):
        p = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
        fn = lambda q: surface.f(q[0], q[1], 7.0, xp=torch)
        (g,) = torch.autograd.grad(fn(p), p)
        h = torch.autograd.functional.hessian(fn, p)
        assert np.allclose(surface.grad(x, y, 7.0), g.numpy(), rtol=1e-10, atol=1e-10)
        assert np.allclose(surface.hessian(np.array([x, y]), 7.0), h.numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("surface", ["quadratic", "rosenbrock", "beale", "himmelblau", "plateau", "multiwell"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_racer_matches_torch_optim_on_the_same_surface(name, surface):
    s = SURFACES[surface]
    config = race({"optimizer": name, "learning_rate": 1e-3 if surface in ("rosenbrock", "beale") else 0.01}, surface=surface)
    trainer = RaceTrainer(config)
    param = torch.tensor([config.start_x, config.start_y], dtype=torch.float64, requires_grad=True)
    reference = TORCH[name]([param], config.learning_rates[0], config.spec(0))
    for _ in range(60):
        trainer.step()
        reference.zero_grad()
        s.f(param[0], param[1], config.condition, xp=torch).backward()
        reference.step()
        assert np.allclose(trainer.racers[0].theta, param.detach().numpy(), rtol=0, atol=1e-6)
    assert trainer.t == 60 and len(trainer.paths[0]) == 61


@pytest.mark.parametrize("kappa", [1.0, 100.0, 1000.0])
def test_newton_converges_in_one_step_on_a_quadratic(kappa):
    for surface in ("quadratic", "turned"):
        trainer = RaceTrainer(race({"optimizer": NEWTON, "learning_rate": 1.0}, surface=surface, condition=kappa))
        trainer.step()
        assert trainer.losses[0] < 1e-12
        assert trainer.reached_at[0] == 1


def test_adam_bias_correction_changes_the_first_steps_as_expected():
    """Without correction m and √v start biased towards 0 by different factors: the step is
    (1 − β1^t)/√(1 − β2^t) times the corrected one — 3.16× at t = 1 — then the two agree."""
    lr = 1e-3  # small: the gradient barely changes, so the ratio of the steps is the ratio of the factors
    config = race({"optimizer": "adam", "learning_rate": lr}, {"optimizer": "adam", "learning_rate": lr, "bias_correction": False})
    trainer = RaceTrainer(config)
    for t in (1, 2, 3, 10):
        while trainer.t < t:
            trainer.step()
        steps = [np.linalg.norm(path[-1] - path[-2]) for path in trainer.paths]
        expected = (1 - 0.9**t) / np.sqrt(1 - 0.999**t)
        assert steps[1] / steps[0] == pytest.approx(expected, rel=2e-2), t
    assert (1 - 0.9) / np.sqrt(1 - 0.999) == pytest.approx(3.162, rel=1e-3)


def test_momentum_and_adam_beat_sgd_on_an_ill_conditioned_bowl_at_their_best_rates():
    config = race({"optimizer": "sgd"}, {"optimizer": "momentum"}, {"optimizer": "adam"}, condition=100.0, steps=2000)
    result = sweep(config, log_grid(1e-4, 10.0, 8))
    (sgd_lr, sgd_steps), (mom_lr, mom_steps), (adam_lr, adam_steps) = (result.best(i) for i in range(3))
    assert sgd_steps > 0 and mom_steps > 0 and adam_steps > 0, "each reaches f < 1e-6 at some rate"
    assert mom_steps < sgd_steps and adam_steps < sgd_steps, (sgd_steps, mom_steps, adam_steps)
    # SGD's best rate sits just under its stability limit 2/κ = 0.02, and it diverges beyond that limit
    assert sgd_lr < 0.02 < result.learning_rates[result.diverged_at[0] > 0].min()
    # the same figures from a live race at the found rates
    live = run_race(config.replace(learning_rates=(sgd_lr, mom_lr, adam_lr)))
    assert list(live.reached_at) == [sgd_steps, mom_steps, adam_steps]


def test_sweep_rows_equal_single_races():
    config = RaceConfig(surface="rosenbrock", start_x=-1.5, start_y=2.5, steps=150, noise=0.5)
    rates = np.array([1e-4, 1e-3, 3e-3])
    result = sweep(config, rates)
    for i in range(config.n_racers):
        for j, lr in enumerate(rates):
            lrs = list(config.learning_rates)
            lrs[i] = lr
            single = run_race(racer_config(config.replace(learning_rates=tuple(lrs)), i))
            if single.diverged_at[0] >= 0:
                assert result.diverged_at[i, j] == single.diverged_at[0] and np.isnan(result.final[i, j])
            else:
                assert result.final[i, j] == pytest.approx(single.losses[0], rel=1e-9, abs=1e-12)


def test_a_diverging_racer_stops_with_its_step_and_the_others_go_on():
    config = race({"learning_rate": 0.5}, {"learning_rate": 0.01}, steps=200)  # 2/κ = 0.1: 0.5 diverges
    trainer = run_race(config)
    assert trainer.diverged_at[0] > 0 and trainer.diverged_at[1] == -1
    assert trainer.t == 200 and len(trainer.paths[1]) == 201
    assert len(trainer.paths[0]) == trainer.diverged_at[0]  # start plus the finite steps before it
    assert np.isfinite(trainer.paths[0]).all()
    metrics = trainer.step() if not trainer.done else {"loss": trainer.losses[1]}
    assert all(np.isfinite(v) for v in metrics.values())


def test_when_every_racer_diverges_the_race_ends_with_a_reason():
    trainer = run_race(race({"learning_rate": 1.0}, {"learning_rate": 2.0}))
    assert trainer.done and trainer.t < 300
    assert "diverged" in trainer.done_reason


def test_the_saddle_sends_gradient_descent_away_and_newton_onto_it():
    config = race({"learning_rate": 0.1}, {"optimizer": NEWTON, "learning_rate": 1.0}, surface="saddle", steps=400)
    trainer = run_race(config)
    assert trainer.diverged_at[0] > 0, "SGD escapes along y towards −∞"
    assert np.allclose(trainer.paths[1][1], [0.0, 0.0], atol=1e-9), "Newton jumps to the saddle point"


@pytest.mark.parametrize(("changes", "words"), [
    ({"learning_rates": (0.1, 0.1)}, "one value per optimizer"),
    ({"start_x": 50.0}, "on the map"),
    ({"optimizers": ("sgd", "lion", "adam")}, "optimizer must be one of"),
    ({"beta2s": (0.999, 0.999, 1.0)}, "β2"),
    ({"learning_rates": (0.1, -1.0, 0.1)}, "learning rate"),
])
def test_bad_settings_get_a_clear_message(changes, words):
    with pytest.raises(ConfigError, match=words):
        RaceConfig().replace(**changes)


def test_the_race_runs_live_in_the_runtime_and_finishes():
    rt = Runtime(workers=1)
    try:
        run_id = rt.start("me", RaceTrainer, RaceConfig(steps=120), run=True)
        snap = rt.wait(run_id, lambda s: s.state.is_terminal, timeout=20)
        assert snap.state is JobState.DONE and "120" in snap.reason
        p = snap.payload
        assert p["step"] == 120 and len(p["paths"]) == 3 and all(len(path) == 121 for path in p["paths"])
        assert snap.metric("loss_2")[1].size > 0
    finally:
        rt.shutdown()


def test_on_the_saddle_leaving_for_minus_infinity_is_called_escaping_not_diverging():
    trainer = run_race(race({"learning_rate": 0.1}, {"optimizer": "momentum", "learning_rate": 0.1}, surface="saddle", steps=3000))
    assert (trainer.diverged_at > 0).all() and trainer.done
    assert "escaped towards −∞" in trainer.done_reason and "smaller learning rates" not in trainer.done_reason
