"""Hand kernels: the presets' textbook properties, the kernel parser's messages, and filtering an image."""

from __future__ import annotations

import time

import numpy as np
import pytest

from engine.cnn.arithmetic import convolve2d
from engine.cnn.kernels import (
    LUMA,
    PRESET_NOTES,
    PRESETS,
    KernelError,
    apply_kernel,
    display_signed,
    format_kernel,
    parse_kernel,
    to_display,
)

EDGES = ("Sobel x", "Sobel y", "Scharr x", "Scharr y", "Prewitt x", "Prewitt y", "Laplacian")
IMAGES = ("Identity", "Box blur 3×3", "Gaussian blur 3×3", "Box blur 5×5", "Gaussian blur 5×5", "Sharpen", "Emboss")


def test_presets_are_textbook_kernels():
    assert set(EDGES + IMAGES) <= set(PRESETS) and set(PRESET_NOTES) == set(PRESETS)
    for name, k in PRESETS.items():
        assert k.dtype == np.float32 and k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1, name
    for name in EDGES:
        assert PRESETS[name].sum() == 0, name
    for name in IMAGES:
        assert PRESETS[name].sum() == pytest.approx(1, abs=1e-6), name
    np.testing.assert_array_equal(PRESETS["Sobel y"], PRESETS["Sobel x"].T)
    np.testing.assert_array_equal(PRESETS["Scharr y"], PRESETS["Scharr x"].T)
    assert PRESETS["Gaussian blur 3×3"][1, 1] == 0.25 and PRESETS["Gaussian blur 5×5"][2, 2] == 36 / 256


def test_sobel_x_is_positive_where_brightness_rises_to_the_right():
    image = np.zeros((8, 8, 3), np.uint8)
    image[:, 4:] = 255  # dark left half, bright right half: a vertical edge between columns 3 and 4
    response = apply_kernel(image, PRESETS["Sobel x"], padding="valid")  # (6, 6): columns 1..6 of the image
    assert (response[:, 2:4] == 4).all() and (response[:, [0, 5]] == 0).all()
    assert (apply_kernel(image, PRESETS["Sobel y"], padding="valid") == 0).all()  # no horizontal edge


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 2 3\n4 5 6\n7 8 9", np.arange(1, 10).reshape(3, 3)),
        ("1,2,3; 4,5,6 ;7, 8, 9", np.arange(1, 10).reshape(3, 3)),
        ("  \n 0 -1 0 \n\n -1 5 -1\n0 -1 0\n", PRESETS["Sharpen"]),
        ("1/16 2/16 1/16; 2/16 4/16 2/16; 1/16 2/16 1/16", PRESETS["Gaussian blur 3×3"]),
        ("−0.5", [[-0.5]]),  # a typographic minus, pasted from a document
        ("1e-1 .25 -3/4; 1.5/3 +2 0; 0 0 0", [[0.1, 0.25, -0.75], [0.5, 2, 0], [0, 0, 0]]),
    ],
)
def test_parse_kernel_reads_numbers_and_fractions(text, expected):
    kernel = parse_kernel(text)
    assert kernel.dtype == np.float32
    np.testing.assert_array_equal(kernel, np.asarray(expected, dtype=np.float32))


@pytest.mark.parametrize(
    "text, message",
    [
        ("1 2 3\n4 5 x\n7 8 9", 'row 2, column 3: "x" is not a number.'),
        ("1 2 3\n4 5\n7 8 9", "row 2 has 2 numbers but row 1 has 3"),
        ("1 2 3; 4 5 6", "2 row(s) of 3 number(s); it must be square"),
        ("; \n ", "the kernel is empty"),
        ("", "the kernel is empty"),
        ("1 1 1 1;1 1 1 1;1 1 1 1;1 1 1 1", "odd, so it has a centre pixel), not 4×4"),
        (";".join([" ".join(["1"] * 9)] * 9), "not 9×9"),
        ("nan 0 0; 0 0 0; 0 0 0", 'row 1, column 1: "nan" is not a finite number.'),
        ("0 0 0; 0 inf 0; 0 0 0", 'row 2, column 2: "inf" is not a finite number.'),
        ("0 0 0; 0 0 0; 0 0 1/0", 'row 3, column 3: "1/0" divides by zero.'),
        ("1/2/3", 'row 1, column 1: "1/2/3" is not a number.'),
    ],
)
def test_parse_kernel_errors_say_what_is_wrong(text, message):
    with pytest.raises(KernelError) as info:
        parse_kernel(text)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_format_kernel_round_trips_exactly():
    assert format_kernel(PRESETS["Gaussian blur 3×3"]) == "1/16 2/16 1/16\n2/16 4/16 2/16\n1/16 2/16 1/16"
    assert format_kernel(PRESETS["Sobel x"]).splitlines()[1] == "-2  0  2"
    rng = np.random.default_rng(0)
    kernels = list(PRESETS.values()) + [rng.normal(scale=10.0 ** rng.integers(-4, 4), size=(k, k)).astype(np.float32) for k in (1, 3, 5, 7)]
    for kernel in kernels:
        np.testing.assert_array_equal(parse_kernel(format_kernel(kernel)), kernel)


def test_apply_kernel_matches_the_arithmetic_module():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, size=(9, 12, 3), dtype=np.uint8)
    kernel = rng.normal(size=(3, 3)).astype(np.float32)
    pixels = image.astype(np.float64) / 255
    luma = pixels @ np.array(LUMA)
    np.testing.assert_allclose(apply_kernel(image, kernel), convolve2d(luma, kernel, padding="same"), atol=1e-5)
    per_channel = apply_kernel(image, kernel, "per channel", "valid")
    assert per_channel.shape == (7, 10, 3) and per_channel.dtype == np.float32
    for c in range(3):
        np.testing.assert_allclose(per_channel[..., c], convolve2d(pixels[..., c], kernel), atol=1e-5)
    np.testing.assert_allclose(apply_kernel(pixels, kernel, "per channel"), apply_kernel(image, kernel, "per channel"), atol=1e-6)
    np.testing.assert_allclose(apply_kernel(image, PRESETS["Identity"], "per channel"), pixels, atol=1e-6)


def test_apply_kernel_rejects_bad_input():
    image = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match="odd kernel"):
        apply_kernel(image, np.ones((2, 2)))
    with pytest.raises(ValueError, match="grayscale"):
        apply_kernel(image, PRESETS["Identity"], mode="color")
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        apply_kernel(np.zeros((8, 8)), PRESETS["Identity"])


def test_apply_kernel_is_fast_on_a_512_pixel_image():
    """About 10–50 ms measured (more on a loaded machine); a per-pixel Python loop would take minutes."""
    image = np.random.default_rng(0).integers(0, 256, size=(512, 512, 3), dtype=np.uint8)
    apply_kernel(image, PRESETS["Gaussian blur 5×5"], "per channel")
    start = time.perf_counter()
    apply_kernel(image, PRESETS["Gaussian blur 5×5"], "per channel")
    assert time.perf_counter() - start < 2.0


def test_display_modes():
    assert display_signed(PRESETS["Sobel x"]) is True and display_signed(PRESETS["Laplacian"]) is True
    assert display_signed(PRESETS["Gaussian blur 3×3"]) is None and display_signed(PRESETS["Sharpen"]) is None
    r = np.array([[-2.0, 0.0, 1.0, 2.0]], np.float32)
    np.testing.assert_array_equal(to_display(r, signed=True), [[0, 128, 191, 255]])
    np.testing.assert_array_equal(to_display(r, signed=False), [[255, 0, 128, 255]])
    np.testing.assert_array_equal(to_display(np.array([-0.5, 0.5, 1.5]), signed=None), [0, 128, 255])
    flat = to_display(np.zeros((3, 3, 3)), signed=True)
    assert flat.dtype == np.uint8 and flat.shape == (3, 3, 3) and (flat == 128).all()
    assert (to_display(np.zeros((2, 2)), signed=False) == 0).all()
