"""Exponentially weighted averages: the recursion, the weights, and what bias correction fixes."""

from __future__ import annotations

import numpy as np
import pytest

from engine.optim.ewa import ewa, noisy_series, window


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.98])
def test_the_average_is_the_weighted_sum_it_claims_to_be(beta):
    x = noisy_series(60, seed=1).noisy
    v = ewa(x, beta)
    t = len(x)
    weights = (1 - beta) * beta ** np.arange(t)[::-1]  # θ_1 … θ_t weighted (1 − β) β^(t−k)
    assert v[-1] == pytest.approx(float(weights @ x), rel=1e-12)
    assert weights.sum() == pytest.approx(1 - beta**t, rel=1e-12)


def test_bias_correction_removes_the_early_dip_on_a_constant_series():
    x = np.full(50, 10.0)
    raw, corrected = ewa(x, 0.9), ewa(x, 0.9, bias_correction=True)
    assert raw[0] == pytest.approx(1.0) and raw[9] < 7.0, "starting from 0 drags the early averages down"
    assert np.allclose(corrected, 10.0), "v / (1 − β^t) is exactly the constant"


def test_the_window_is_one_over_one_minus_beta_and_older_points_weigh_about_one_over_e():
    beta = 0.98
    n = round(window(beta))
    assert n == 50
    assert beta**n == pytest.approx(np.exp(-1), rel=0.02)


def test_larger_beta_is_smoother_but_lags_more():
    s = noisy_series(300, seed=0)
    rough = lambda v: np.abs(np.diff(v, 2)).mean()
    errs = {}
    for beta in (0.5, 0.9, 0.98):
        v = ewa(s.noisy, beta, bias_correction=True)
        errs[beta] = (rough(v), np.argmax(v) - np.argmax(s.clean))
    assert errs[0.5][0] > errs[0.9][0] > errs[0.98][0]
    assert errs[0.98][1] > errs[0.5][1] >= -5, "the peak of a heavier average comes later"
