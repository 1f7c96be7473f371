"""Convolution arithmetic and receptive fields, against PyTorch's own convolutions and autograd as oracles."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.cnn.arithmetic import (
    conv_cost,
    conv_output_size,
    convolve2d,
    inception_bottleneck_cost,
    pool2d,
    pool_output_size,
    resolve_padding,
    separable_cost,
    slide,
)
from engine.cnn.receptive_field import Layer, input_region, output_size, receptive_fields

pytestmark = pytest.mark.usefixtures("one_thread")


# -- sizes ---------------------------------------------------------------------------------------------------------------
def test_resolve_padding():
    assert resolve_padding("valid", 5) == 0
    assert resolve_padding("same", 5) == 2
    assert resolve_padding("same", 3, dilation=2) == 2  # effective kernel 5
    assert resolve_padding(3, 5) == 3
    with pytest.raises(ValueError, match="odd kernel"):
        resolve_padding("same", 4)
    with pytest.raises(ValueError, match="0 or more"):
        resolve_padding(-1, 3)
    with pytest.raises(ValueError, match='"same" or "valid"'):
        resolve_padding("full", 3)


def test_output_size_matches_torch_conv2d_on_a_grid():
    """2,700 settings: sizes agree with F.conv2d, and where PyTorch has no output we raise a ValueError."""
    checked = 0
    for n, k, s, p, d in itertools.product(range(1, 13), range(1, 6), (1, 2, 3), (0, 1, 2, "same", "valid"), (1, 2, 3)):
        if p == "same" and s > 1:
            continue  # PyTorch refuses strided "same"
        x, w = torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k)
        if p == "same" and d * (k - 1) % 2:  # even effective kernel: PyTorch pads unevenly, we refuse
            with pytest.raises(ValueError, match="odd kernel"):
                conv_output_size(n, k, s, p, d)
            continue
        try:
            expected = F.conv2d(x, w, stride=s, padding=p, dilation=d).shape[-1]
        except RuntimeError:
            with pytest.raises(ValueError, match="no place to put it"):
                conv_output_size(n, k, s, p, d)
        else:
            assert conv_output_size(n, k, s, p, d) == expected, (n, k, s, p, d)
        checked += 1
    assert checked > 1500


def test_output_size_rejects_bad_arguments():
    for bad in ({"n": 0}, {"kernel": 0}, {"stride": 0}, {"dilation": 0}):
        args = {"n": 8, "kernel": 3, "stride": 1, "padding": 0, "dilation": 1} | bad
        with pytest.raises(ValueError, match="at least 1"):
            conv_output_size(**args)
    assert conv_output_size(32, 5) == 28 and conv_output_size(224, 11, 4, 2) == 55


def test_conv_cost_matches_the_course_and_torch():
    assert conv_cost(32, 32, 3, 10, 3).params == 280  # 10 filters of 3×3×3 plus 10 biases
    for c_in, c_out, k, groups, bias in itertools.product((4, 8), (8, 12), (1, 3), (1, 2, 4), (True, False)):
        cost = conv_cost(9, 9, c_in, c_out, k, groups=groups, bias=bias)
        layer = nn.Conv2d(c_in, c_out, k, groups=groups, bias=bias)
        assert cost.params == sum(p.numel() for p in layer.parameters())
        assert cost.weights + cost.biases == cost.params
        assert cost.mult_adds == cost.out_h * cost.out_w * cost.weights
    with pytest.raises(ValueError, match="groups"):
        conv_cost(8, 8, 6, 8, 3, groups=4)


def test_pool2d_matches_torch():
    x = np.random.default_rng(0).normal(size=(9, 11))
    for size, stride in itertools.product((1, 2, 3), (1, 2, 3)):
        t = torch.from_numpy(x)[None, None]
        np.testing.assert_allclose(pool2d(x, size, stride, "max"), F.max_pool2d(t, size, stride)[0, 0].numpy())
        np.testing.assert_allclose(pool2d(x, size, stride, "avg"), F.avg_pool2d(t, size, stride)[0, 0].numpy())
        assert pool2d(x, size, stride).shape == (pool_output_size(9, size, stride), pool_output_size(11, size, stride))
    with pytest.raises(ValueError, match="max"):
        pool2d(x, 2, 2, "min")


# -- the sliding kernel --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 3, 5])
def test_convolve2d_equals_torch_conv2d(k):
    rng = np.random.default_rng(k)
    x, kernel = rng.normal(size=(11, 13)), rng.normal(size=(k, k))  # not square, so rows and columns cannot be swapped
    for s, p, d in itertools.product((1, 2, 3), (0, 1, 2, "same"), (1, 2)):
        if p == "same" and s > 1:
            continue
        expected = F.conv2d(torch.from_numpy(x)[None, None], torch.from_numpy(kernel)[None, None], stride=s, padding=p, dilation=d)
        np.testing.assert_allclose(convolve2d(x, kernel, s, p, d), expected[0, 0].numpy(), atol=1e-12)


def test_slide_steps_agree_with_convolve2d():
    rng = np.random.default_rng(1)
    x, kernel = rng.normal(size=(6, 7)), rng.normal(size=(3, 3))
    for s, p, d in [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 1, 1)]:
        out = convolve2d(x, kernel, s, p, d)
        steps = slide(x, kernel, s, p, d)
        assert len(steps) == out.size
        for step in steps:
            assert step.value == pytest.approx(out[step.out_row, step.out_col])
            np.testing.assert_allclose(step.products, step.window * kernel)
            assert step.rows == tuple(step.out_row * s + a * d for a in range(3))
            assert step.cols == tuple(step.out_col * s + b * d for b in range(3))
            padded = np.pad(x, p)
            np.testing.assert_array_equal(step.window, padded[np.ix_(step.rows, step.cols)])
    corner = slide(x, kernel, 1, 1)[0]  # the first placement overhangs the top-left padding
    assert corner.rows == (0, 1, 2) and (corner.window[0] == 0).all() and (corner.window[:, 0] == 0).all()


# -- cheaper convolutions --------------------------------------------------------------------------------------------------
def test_separable_cost_course_example():
    cost = separable_cost(6, 6, 3, 5, 3)
    assert (cost["out_h"], cost["out_w"]) == (4, 4)
    assert cost["standard"] == 2160 and cost["depthwise"] == 432 and cost["pointwise"] == 240 and cost["separable"] == 672
    assert cost["ratio"] == pytest.approx(1 / 5 + 1 / 9) == cost["closed_form"]


def test_inception_bottleneck_cost():
    cost = inception_bottleneck_cost()
    assert cost["direct"] == 28 * 28 * 32 * 25 * 192 == 120_422_400
    assert cost["reduce"] == 2_408_448 and cost["conv"] == 10_035_200 and cost["bottleneck"] == 12_443_648
    assert cost["ratio"] == pytest.approx(0.1033, abs=1e-4)


# -- receptive fields ----------------------------------------------------------------------------------------------------
def test_receptive_field_recurrences():
    rows = receptive_fields([Layer(3, padding=0)] * 3, input_size=9)
    assert [r["receptive_field"] for r in rows] == [3, 5, 7]
    assert [r["start"] for r in rows] == [1, 2, 3] and [r["size"] for r in rows] == [7, 5, 3]
    rows = receptive_fields([Layer(3), Layer(3, stride=2), Layer(3), Layer(2, stride=2, padding=0), Layer(3, dilation=2)])
    assert [r["receptive_field"] for r in rows] == [3, 5, 9, 11, 27]
    assert [r["jump"] for r in rows] == [1, 2, 2, 4, 4]
    assert [r["start"] for r in rows] == [0, 0, 0, 1, 1]


def test_input_region_clipping():
    layers = [Layer(3), Layer(3)]  # "same" padding: the corner unit's 5×5 field overhangs the image by 2
    assert input_region(layers, 8, 0, 0, clip=False) == (-2, -2, 2, 2)
    assert input_region(layers, 8, 0, 0) == (0, 0, 2, 2)
    assert input_region(layers, 8, 7, 3) == (5, 1, 7, 5)
    with pytest.raises(ValueError, match="outside"):
        input_region(layers, 8, 8, 0)


STACKS = {  # (layers, dense: every pixel of the field is reached, not just its bounding box)
    "three 3×3": ([Layer(3), Layer(3), Layer(3)], True),
    "valid with stride 2": ([Layer(3, padding=0), Layer(3, stride=2, padding=0), Layer(3, padding=0)], True),
    "dilated 1-2-4": ([Layer(3), Layer(3, dilation=2), Layer(3, dilation=4)], True),
    "conv, pool, conv": ([Layer(5, stride=2, padding=2), Layer(2, stride=2, padding=0), Layer(3), Layer(3, stride=2, padding=0)], True),
    "one dilated layer": ([Layer(3, dilation=2)], False),
    "stride wider than kernel": ([Layer(1, stride=2, padding=0), Layer(3, padding=1)], False),
}


def _torch_stack(layers: list[Layer]) -> nn.Sequential:
    """All-ones convolutions (pooling as average pooling), so an input pixel has a non-zero gradient iff the unit sees it."""
    modules = []
    for layer in layers:
        if layer.kernel == 2 and layer.stride == 2:
            modules.append(nn.AvgPool2d(2, 2))
        else:
            conv = nn.Conv2d(1, 1, layer.kernel, layer.stride, layer.pad, layer.dilation, bias=False)
            nn.init.ones_(conv.weight)
            modules.append(conv)
    return nn.Sequential(*modules).double()


@pytest.mark.parametrize("name", list(STACKS))
def test_input_region_equals_the_pixels_with_a_gradient(name):
    layers, dense = STACKS[name]
    size = 21
    x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    out = _torch_stack(layers)(x)
    n = output_size(layers, size)
    assert out.shape[-1] == n
    for row, col in {(0, 0), (n // 2, n // 3), (n - 1, n - 1), (0, n - 1)}:
        (grad,) = torch.autograd.grad(out[0, 0, row, col], x, retain_graph=True)
        seen = grad[0, 0].numpy() != 0
        top, left, bottom, right = input_region(layers, size, row, col)
        if dense:
            expected = np.zeros_like(seen)
            expected[top : bottom + 1, left : right + 1] = True
            np.testing.assert_array_equal(seen, expected, err_msg=f"{name}, unit ({row}, {col})")
        else:
            rows, cols = np.nonzero(seen.any(axis=1))[0], np.nonzero(seen.any(axis=0))[0]
            assert (rows[0], cols[0], rows[-1], cols[-1]) == (top, left, bottom, right), (name, row, col)
