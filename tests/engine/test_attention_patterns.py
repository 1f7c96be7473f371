"""Attention patterns and their cost: each mask's structure and share of computed pairs counted by
hand, sliding-window attention equal to masked full attention without ever building the n × n
matrix, and the cost measurement (memory from shapes: ×4 per doubling for full, ×2 for a window).
Times are only checked to be positive: on a shared machine their ordering is not reliable."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.attention.core import attention, causal_mask
from engine.attention.patterns import (
    DESCRIPTIONS,
    KIND_LABELS,
    KINDS,
    fraction_computed,
    full_attention,
    loglog_slope,
    mask,
    measure_cost,
    memory_bytes,
    window_attention,
)


def allowed(kind: str, n: int, **kw) -> np.ndarray:
    return ~mask(kind, n, **kw)


def test_every_kind_has_a_label_and_a_description():
    assert set(KIND_LABELS) == set(DESCRIPTIONS) == set(KINDS)
    for kind in KINDS:
        assert mask(kind, 6).shape == (6, 6) and mask(kind, 6).dtype == bool
        assert not mask(kind, 6).diagonal().any()  # every token may see itself
    with pytest.raises(ValueError, match="pattern"):
        mask("random", 4)


def test_full_and_causal_and_the_polarity_of_core():
    assert not mask("full", 5).any()
    np.testing.assert_array_equal(mask("causal", 5), causal_mask(5).numpy())  # True = blocked, as core
    np.testing.assert_array_equal(allowed("causal", 5), np.tril(np.ones((5, 5), bool)))
    assert fraction_computed(mask("full", 4)) == 1.0
    assert fraction_computed(mask("causal", 4)) == 10 / 16


def test_window_is_a_band():
    a = allowed("window", 6, width=1)
    i, j = np.indices((6, 6))
    np.testing.assert_array_equal(a, np.abs(i - j) <= 1)
    assert fraction_computed(mask("window", 4, width=1)) == 10 / 16  # 4 + 3 + 3
    np.testing.assert_array_equal(allowed("window", 6, width=2, causal=True), (i - j >= 0) & (i - j <= 2))


def test_dilated_reaches_further_with_gaps():
    a = allowed("dilated", 8, width=2, dilation=2)
    assert a[0].tolist() == [1, 0, 1, 0, 1, 0, 0, 0]  # offsets 0, 2, 4 = width · dilation
    assert fraction_computed(mask("dilated", 8, width=2, dilation=2)) == 28 / 64  # 8 + 2·6 + 2·4
    np.testing.assert_array_equal(allowed("dilated", 8, width=2, dilation=1), allowed("window", 8, width=2))


def test_global_tokens_see_and_are_seen_by_all():
    a = allowed("global_window", 8, width=1, global_tokens=2)
    assert a[:2].all() and a[:, :2].all()
    np.testing.assert_array_equal(a[2:, 2:], allowed("window", 8, width=1)[2:, 2:])
    assert fraction_computed(mask("global_window", 4, width=0, global_tokens=1)) == 10 / 16  # 4 + 3 + 3


def test_blocks_are_on_the_diagonal():
    a = allowed("block", 6, block=4)
    assert a[:4, :4].all() and a[4:, 4:].all() and not a[:4, 4:].any() and not a[4:, :4].any()
    assert fraction_computed(mask("block", 6, block=4)) == 20 / 36


@pytest.mark.parametrize("n", [1, 5, 16, 33, 64])
@pytest.mark.parametrize("width", [0, 1, 3, 8, 40])
@pytest.mark.parametrize("causal", [False, True])
def test_window_attention_equals_full_attention_with_the_window_mask(n, width, causal):
    g = torch.Generator().manual_seed(n * 100 + width)
    q, k, v = (torch.randn(2, n, 8, generator=g, dtype=torch.float64) for _ in range(3))
    expected, _ = attention(q, k, v, mask=torch.from_numpy(mask("window", n, width=width, causal=causal)))
    torch.testing.assert_close(window_attention(q, k, v, width, causal=causal), expected, atol=1e-6, rtol=0)


def test_full_attention_is_torch_sdpa():
    q, k, v = (torch.randn(10, 4, dtype=torch.float64) for _ in range(3))
    torch.testing.assert_close(full_attention(q, k, v), torch.nn.functional.scaled_dot_product_attention(q, k, v))


def test_memory_grows_four_times_per_doubling_for_full_two_for_a_window():
    ratios = []
    for n in (256, 512, 1024, 2048):
        ratios.append(memory_bytes("full", 2 * n, 64, 64) / memory_bytes("full", n, 64, 64))
        assert memory_bytes("window", 2 * n, 64, 64) / memory_bytes("window", n, 64, 64) == 2.0
    assert ratios[0] > 3.75 and np.all(np.diff(ratios) > 0) and ratios[-1] < 4.0  # n² + the n·d output: → 4
    lengths = [256, 512, 1024, 2048]
    assert loglog_slope(lengths, [memory_bytes("full", n, 64, 64) for n in lengths]) == pytest.approx(2.0, abs=0.05)
    assert loglog_slope(lengths, [memory_bytes("window", n, 64, 64) for n in lengths]) == pytest.approx(1.0, abs=1e-9)
    assert memory_bytes("window", 4096, 64, 64) < memory_bytes("full", 4096, 64, 64) / 8


def test_loglog_slope_uses_the_larger_half():
    lengths = [1, 2, 4, 8, 16, 32]
    times = [5.0, 5.0, 5.0] + [n**2 for n in (8, 16, 32)]  # a flat overhead, then quadratic
    assert loglog_slope(lengths, times) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        loglog_slope([1], [1])


def test_measure_cost_on_small_lengths():
    r = measure_cost([16, 32, 64], d=8, window=4, repeats=1)
    assert r["lengths"].tolist() == [16, 32, 64] and r["device"] == "cpu" and r["width"] == 4
    for kind in ("full", "window"):
        assert r[kind]["time_s"].shape == (3,) and np.all(r[kind]["time_s"] > 0)
        assert r[kind]["memory_bytes"].tolist() == [memory_bytes(kind, n, 8, 4) for n in (16, 32, 64)]
        assert r[kind]["peak_bytes"] == [None] * 3  # measured only on CUDA
    with pytest.raises(ValueError, match="full and window"):
        measure_cost([16], kinds=("dilated",))

