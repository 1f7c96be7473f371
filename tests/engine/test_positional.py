"""Positional encodings against their closed forms: the sinusoidal table, the rotation identity,
similarity by offset, RoPE and ALiBi."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine.attention import positional as pos


@pytest.mark.parametrize(("p", "i", "d", "base"), [(0, 0, 8, 1e4), (1, 0, 8, 1e4), (7, 2, 8, 1e4), (50, 5, 16, 1e4), (3, 1, 4, 100.0)])
def test_sinusoidal_values_match_the_formula(p, i, d, base):
    pe = pos.sinusoidal(64, d, base)
    angle = p / base ** (2 * i / d)
    assert pe[p, 2 * i] == pytest.approx(math.sin(angle), abs=1e-15)
    assert pe[p, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-15)


def test_the_worked_example_has_the_real_values():
    rows = pos.worked_example(["I", "am", "a", "robot"], d_model=4)
    # position 1, d = 4: sin(1), cos(1), sin(1/100), cos(1/100)
    assert np.allclose(rows[1][2], [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)])
    assert rows[0][2].tolist() == [0.0, 1.0, 0.0, 1.0]


def test_wavelengths_grow_geometrically_from_two_pi():
    w = pos.wavelengths(512)
    assert w[0] == pytest.approx(2 * math.pi)
    ratios = w[1:] / w[:-1]
    assert np.allclose(ratios, ratios[0]) and ratios[0] == pytest.approx(10000 ** (2 / 512))
    assert w[-1] < 2 * math.pi * 10000


@pytest.mark.parametrize("k", [1, 3, 17, 100])
def test_a_shift_is_a_fixed_rotation(k):
    pe = pos.sinusoidal(300, 64)
    m = pos.rotation_matrix(k, 64)
    assert np.abs(pe[k:] - pe[:-k] @ m.T).max() < 1e-6
    assert np.allclose(m @ m.T, np.eye(64)), "M_k is orthogonal: a rotation"


def test_similarity_depends_only_on_the_offset_and_rows_are_distinct():
    pe = pos.sinusoidal(128, 32)
    s = pos.similarity(pe)
    for offset in (0, 1, 5, 40):
        diagonal = np.diagonal(s, offset)
        assert np.ptp(diagonal) < 1e-9
    assert s[0, 0] == pytest.approx(16.0), "d/2 pairs, each sin² + cos² = 1"
    distance, p, q = pos.min_pairwise_distance(pe)
    assert distance > 0.1 and p < q


def test_rope_keeps_norms_and_makes_scores_depend_on_offset_only():
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal(16), rng.standard_normal(16)
    positions = np.arange(40)
    rq, rk = pos.apply_rope(np.tile(q, (40, 1)), positions), pos.apply_rope(np.tile(k, (40, 1)), positions)
    assert np.allclose(np.linalg.norm(rq, axis=1), np.linalg.norm(q))
    scores = rq @ rk.T
    for offset in (0, 3, -7):
        assert np.ptp(np.diagonal(scores, offset)) < 1e-9
    as_torch = pos.apply_rope(torch.tensor(np.tile(q, (40, 1))), positions)
    assert isinstance(as_torch, torch.Tensor) and np.allclose(as_torch.numpy(), rq)


def test_alibi_slopes_and_biases_match_the_paper():
    assert np.allclose(pos.alibi_slopes(8), [2.0 ** -(i + 1) for i in range(8)])
    assert np.allclose(pos.alibi_slopes(4), [2.0 ** -(2 * (i + 1)) for i in range(4)])
    six = pos.alibi_slopes(6)  # the 4-head slopes, then the odd-indexed ones of 8 heads
    assert np.allclose(six, [2**-2, 2**-4, 2**-6, 2**-8, 2**-1, 2**-3])
    b = pos.alibi_bias(5, 2)
    assert b.shape == (2, 5, 5)
    assert b[0, 4, 1] == pytest.approx(-pos.alibi_slopes(2)[0] * 3) and b[1, 1, 4] == 0.0
    assert pos.alibi_bias(5, 2, causal=False)[1, 1, 4] == pytest.approx(-pos.alibi_slopes(2)[1] * 3)


@pytest.mark.parametrize(("length", "d", "base", "words"), [
    (10, 7, 1e4, "even"), (0, 8, 1e4, "at least 1"), (-3, 8, 1e4, "at least 1"), (10, 8, 1.0, "greater than 1"),
    (10, 8, 0.5, "greater than 1"), (10**6, 8, 1e4, "at most"),
])
def test_bad_settings_get_a_clear_message(length, d, base, words):
    with pytest.raises(ValueError, match=words):
        pos.sinusoidal(length, d, base)
