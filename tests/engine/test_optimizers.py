"""Every hand-written update rule matches torch.optim step for step; schedules match their formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine.optimizers import OPTIMIZERS, Optimizer, OptimizerSpec
from engine.schedules import ScheduleSpec, learning_rate

TORCH = {
    "sgd": lambda p, lr, s: torch.optim.SGD(p, lr=lr),
    "momentum": lambda p, lr, s: torch.optim.SGD(p, lr=lr, momentum=s.momentum),
    "nesterov": lambda p, lr, s: torch.optim.SGD(p, lr=lr, momentum=s.momentum, nesterov=True),
    "adagrad": lambda p, lr, s: torch.optim.Adagrad(p, lr=lr, eps=s.adagrad_eps),
    "rmsprop": lambda p, lr, s: torch.optim.RMSprop(p, lr=lr, alpha=s.rho, eps=s.eps),
    "adam": lambda p, lr, s: torch.optim.Adam(p, lr=lr, betas=(s.beta1, s.beta2), eps=s.eps),
    "adamw": lambda p, lr, s: torch.optim.AdamW(p, lr=lr, betas=(s.beta1, s.beta2), eps=s.eps, weight_decay=s.weight_decay),
}


def rosenbrock_grad(theta):
    x, y = theta
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_update_rule_matches_torch_optim_step_for_step(name):
    spec = OptimizerSpec(name)
    lr = 1e-3
    theta = np.array([-1.2, 1.0])
    ours = Optimizer(spec, 2)
    param = torch.tensor(theta.copy(), requires_grad=True)
    reference = TORCH[name]([param], lr, spec)
    for _ in range(200):
        g = rosenbrock_grad(theta)
        ours.step(theta, g, lr)
        param.grad = torch.from_numpy(rosenbrock_grad(param.detach().numpy()))
        reference.step()
        assert np.allclose(theta, param.detach().numpy(), rtol=0, atol=1e-6)
    assert not np.allclose(theta, [-1.2, 1.0]), "the optimizer moved"


def test_adam_without_bias_correction_takes_larger_first_steps():
    g = np.array([1.0])
    with_bc, without = np.zeros(1), np.zeros(1)
    a, b = Optimizer(OptimizerSpec("adam"), 1), Optimizer(OptimizerSpec("adam", bias_correction=False), 1)
    a.step(with_bc, g, 0.1)
    b.step(without, g, 0.1)
    # first step: with correction |Δθ| ≈ η; without, m = 0.1 g and √v = √0.001 |g| → ≈ 3.16 η
    assert with_bc[0] == pytest.approx(-0.1, rel=1e-6)
    assert without[0] == pytest.approx(-0.1 * 0.1 / math.sqrt(0.001), rel=1e-5)


@pytest.mark.parametrize(("spec", "epoch", "expected"), [
    (ScheduleSpec("constant"), 99, 0.1),
    (ScheduleSpec("step", decay=0.5, step_size=10), 25, 0.1 * 0.25),
    (ScheduleSpec("exponential", decay=0.9), 3, 0.1 * 0.729),
    (ScheduleSpec("inverse_time", decay=1.0), 4, 0.1 / 5),
    (ScheduleSpec("cosine", period=100), 50, 0.05),
    (ScheduleSpec("cosine", period=100), 150, 0.0),
    (ScheduleSpec("warmup", warmup_epochs=10), 4, 0.05),
    (ScheduleSpec("warmup", warmup_epochs=10), 40, 0.1),
])
def test_schedules(spec, epoch, expected):
    assert learning_rate(spec, 0.1, epoch) == pytest.approx(expected, abs=1e-15)
