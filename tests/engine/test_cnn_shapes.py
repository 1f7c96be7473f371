"""The generated-shapes data set: array shapes and ranges, balanced classes, determinism, classes that
differ in outline but not in colour or brightness, and the geometry of each class's drawing."""

from __future__ import annotations

import numpy as np
import pytest

from engine.cnn.shapes import CLASSES, INSIDE, SUPERSAMPLE, _coverage, class_examples, draw, make_shapes

K = len(CLASSES)


def foreground(images: np.ndarray) -> np.ndarray:
    """(n, S, S) in [0, 1]: how far each pixel is from the background colour (the median of the image's border),
    scaled so the shape itself is about 1; for noise-free images this is the shape's pixel coverage."""
    border = np.concatenate([images[:, :, 0], images[:, :, -1], images[:, :, :, 0], images[:, :, :, -1]], axis=2)  # (n, 3, 4S)
    background = np.median(border, axis=2)[:, :, None, None]
    distance = np.abs(images - background).sum(1)
    return distance / distance.reshape(len(images), -1).max(1)[:, None, None]


@pytest.mark.parametrize("size", [28, 32, 64])
def test_arrays_have_the_promised_shapes_types_and_ranges(size):
    x, y = make_shapes(50, size, seed=3)
    assert x.shape == (50, 3, size, size) and x.dtype == np.float32
    assert y.shape == (50,) and y.dtype == np.int64
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert set(np.unique(y)) <= set(range(K))


@pytest.mark.parametrize("n", [6, 61, 600])
def test_classes_are_balanced(n):
    counts = np.bincount(make_shapes(n, 28, seed=1)[1], minlength=K)
    assert counts.max() - counts.min() <= 1 and counts.sum() == n


def test_the_same_seed_gives_the_same_images_and_another_seed_others():
    x1, y1 = make_shapes(40, seed=5)
    x2, y2 = make_shapes(40, seed=5)
    x3, y3 = make_shapes(40, seed=6)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(y1, y3)
    assert np.abs(x1 - x3).mean() > 0.1


def test_noise_has_the_requested_std():
    clean, _ = make_shapes(30, seed=2, noise=0.0)
    noisy, _ = make_shapes(30, seed=2, noise=0.05)
    inside = (clean > 0.2) & (clean < 0.8)  # away from the clipping at 0 and 1
    assert np.std((noisy - clean)[inside]) == pytest.approx(0.05, rel=0.05)


def test_shape_and_background_have_at_least_the_minimum_contrast():
    x, _ = make_shapes(200, seed=4, noise=0.0)
    luminance = np.tensordot(x, np.array([0.299, 0.587, 0.114], dtype=np.float32), axes=([1], [0]))  # (n, S, S)
    spread = luminance.reshape(200, -1).max(1) - luminance.reshape(200, -1).min(1)
    assert spread.min() >= 0.3 - 1e-5


def test_grey_images_have_equal_channels():
    x, _ = make_shapes(20, seed=0, colour=False)
    clean, _ = make_shapes(20, seed=0, colour=False, noise=0.0)
    assert np.array_equal(clean[:, 0], clean[:, 1]) and np.array_equal(clean[:, 1], clean[:, 2])
    assert not np.array_equal(x[:, 0], x[:, 1])  # the pixel noise is drawn per channel


def test_no_class_is_told_apart_by_its_colours():
    """Per class, the mean luminance of the shape and of the background is the same as overall (within 4
    standard errors of a class mean of 300 images: about 0.06), so colour and brightness alone cannot tell the class."""
    x, y = make_shapes(1800, 28, seed=0, noise=0.0)
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    luminance = np.tensordot(x, weights, axes=([1], [0])).reshape(len(x), -1)  # (n, S·S)
    shape_pixel = foreground(x).reshape(len(x), -1).argmax(1)  # a pixel fully inside the shape
    border = np.median(np.concatenate([x[:, :, 0], x[:, :, -1]], axis=2), axis=2) @ weights  # (n,) background luminance
    for values in (luminance[np.arange(len(x)), shape_pixel], border):
        per_class = np.array([values[y == k].mean() for k in range(K)])
        assert np.abs(per_class - values.mean()).max() < 0.06, np.round(per_class, 3)


def test_each_class_looks_different_on_average():
    """Mean foreground masks of two halves of each class: a class's halves are nearer to each other than
    to any other class's mean (so the drawings differ by class, and consistently)."""
    x, y = make_shapes(2400, 28, seed=0, noise=0.0)
    masks = foreground(x)
    halves = [[masks[np.flatnonzero(y == k)[h::2]].mean(0) for h in (0, 1)] for k in range(K)]
    for a in range(K):
        same = np.abs(halves[a][0] - halves[a][1]).mean()
        others = [np.abs(halves[a][0] - halves[b][1]).mean() for b in range(K) if b != a]
        assert same < min(others), f"{CLASSES[a]}: {same:.4f} vs others {np.round(others, 4)}"


def test_each_class_covers_the_area_of_its_geometry():
    """A large centred shape's pixel coverage (supersampled) matches the closed-form area in its unit frame."""
    areas = {"circle": np.pi, "square": 1.5**2, "triangle": 3 * np.sqrt(3) / 4 * 1.1**2, "cross": 2 * 0.54 * 2 - 0.54**2,
             "stripes": 3 * 0.32 * 1.6, "ring": np.pi * (1 - 0.55**2)}
    size, radius = 64, 25.0
    for k, name in enumerate(CLASSES):
        half = np.float32(size / 2)
        cover = _coverage(k, size, np.array([half]), np.array([half]), np.array([radius], np.float32), np.array([0.3], np.float32))
        assert cover.sum() / radius**2 == pytest.approx(areas[name], rel=0.03), name
    assert len(INSIDE) == K and SUPERSAMPLE >= 2


def test_class_examples_are_one_per_class_in_order():
    examples = class_examples(32, seed=7)
    assert examples.shape == (K, 3, 32, 32)
    again = draw(np.arange(K), 32, np.random.default_rng(7), noise=0.0)
    assert np.array_equal(examples, again)
    assert np.array_equal(examples, class_examples(32, seed=7))
