"""Generated shapes: a built-in image data set for the live CNN that needs no download.

Each image is one shape — circle, square, triangle, cross, stripes or ring — of random size,
position, rotation and colours on a plain background, with Gaussian pixel noise. Every class
uses the same distributions of size, position and colour, so colour and position carry no class
information; the shapes' areas still differ (a circle covers about twice the pixels of the stripes), so
counting pixels alone beats chance a little (about 30% against 17%), and the rest needs the outline. Shapes are drawn
with supersampling (each pixel is the mean of SUPERSAMPLE² sub-pixel tests against the shape's
geometry), which gives clean anti-aliased edges, and whole batches are drawn at once with numpy:
4,000 images of 32 px take a fraction of a second. The same seed always gives the same images.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

CLASSES = ("circle", "square", "triangle", "cross", "stripes", "ring")
SUPERSAMPLE = 2  # sub-pixels per pixel along each axis
RADIUS = (0.2, 0.4)  # a shape's radius (in its own unit frame) as a fraction of the image size
MIN_CONTRAST = 0.3  # least luminance difference between a shape and its background
CHUNK = 256  # images drawn at once: bounds the (chunk, G, G) temporaries to a few MB


# -- the classes' geometry: inside tests in the shape's own frame, u, v ∈ about [-1, 1] ---------------------
def _circle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return u * u + v * v <= 1.0


def _square(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(u), np.abs(v)) <= 0.75  # corners at radius 1.06, like the others' extent


def _triangle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # equilateral, circumradius 1.1 (its area nearer the others'): inside all three edges, whose outward normals point at 270°, 30°, 150°
    inside = np.ones(u.shape, dtype=bool)
    for angle in np.radians((270.0, 30.0, 150.0)):
        inside &= u * np.cos(angle) + v * np.sin(angle) <= 0.55  # the inradius: half the circumradius, 1.1
    return inside


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    au, av = np.abs(u), np.abs(v)
    return ((au <= 0.27) & (av <= 1.0)) | ((av <= 0.27) & (au <= 1.0))


def _stripes(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # three parallel bars with two gaps of the same width between them, in a 1.6 × 1.6 square
    bands = np.floor((u + 0.8) / 0.32)
    return (np.maximum(np.abs(u), np.abs(v)) <= 0.8) & (bands % 2 == 0)


def _ring(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    r2 = u * u + v * v
    return (r2 <= 1.0) & (r2 >= 0.55**2)


INSIDE: tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], ...] = (_circle, _square, _triangle, _cross, _stripes, _ring)


# -- drawing ----------------------------------------------------------------------------------------
def _coverage(kind: int, size: int, cx: np.ndarray, cy: np.ndarray, radius: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(m, size, size) float32: the fraction of each pixel that class `kind`'s shape covers; the m shapes
    have centres (cx, cy) and radii in pixels and rotations in radians, all (m,)."""
    grid = (np.arange(size * SUPERSAMPLE, dtype=np.float32) + 0.5) / SUPERSAMPLE  # sub-pixel centres, (G,)
    dx = grid[None, None, :] - cx[:, None, None]  # (m, 1, G)
    dy = grid[None, :, None] - cy[:, None, None]  # (m, G, 1)
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    scale = 1.0 / radius[:, None, None]
    u = (dx * cos + dy * sin) * scale  # (m, G, G): the sub-pixels in the shape's unit frame
    v = (dy * cos - dx * sin) * scale
    inside = INSIDE[kind](u, v)
    m = len(cx)
    return inside.reshape(m, size, SUPERSAMPLE, size, SUPERSAMPLE).mean(axis=(2, 4), dtype=np.float32)


def _colours(rng: np.random.Generator, n: int, colour: bool) -> tuple[np.ndarray, np.ndarray]:
    """(foreground, background), each (n, 3) in [0, 1], whose luminances differ by at least MIN_CONTRAST."""
    channels = 3 if colour else 1
    fg, bg = rng.random((n, channels), dtype=np.float32), rng.random((n, channels), dtype=np.float32)
    weights = np.array([0.299, 0.587, 0.114] if colour else [1.0], dtype=np.float32)
    low = np.abs((fg - bg) @ weights) < MIN_CONTRAST
    while low.any():  # redraw the low-contrast pairs; about a third at first, none after a dozen rounds
        k = int(low.sum())
        fg[low], bg[low] = rng.random((k, channels), dtype=np.float32), rng.random((k, channels), dtype=np.float32)
        low = np.abs((fg - bg) @ weights) < MIN_CONTRAST
    return np.broadcast_to(fg, (n, 3)), np.broadcast_to(bg, (n, 3))


def draw(labels: np.ndarray, size: int, rng: np.random.Generator, noise: float = 0.1, colour: bool = True) -> np.ndarray:
    """(n, 3, size, size) float32 in [0, 1]: one image of each label's class, its geometry and colours drawn
    from rng, plus N(0, noise²) pixel noise (then clipped to [0, 1])."""
    n = len(labels)
    radius = rng.uniform(*RADIUS, n).astype(np.float32) * size
    # mostly inside: the centre keeps 0.9 radius from the border (only far corners may be cut)
    cx = rng.uniform(0.9 * radius, size - 0.9 * radius).astype(np.float32)
    cy = rng.uniform(0.9 * radius, size - 0.9 * radius).astype(np.float32)
    angle = rng.uniform(0.0, 2 * np.pi, n).astype(np.float32)
    fg, bg = _colours(rng, n, colour)
    coverage = np.empty((n, size, size), dtype=np.float32)
    for kind in range(len(CLASSES)):
        where = np.flatnonzero(labels == kind)
        for start in range(0, len(where), CHUNK):
            idx = where[start:start + CHUNK]
            coverage[idx] = _coverage(kind, size, cx[idx], cy[idx], radius[idx], angle[idx])
    images = np.multiply((fg - bg)[:, :, None, None], coverage[:, None])  # (n, 3, size, size), in place from here
    images += bg[:, :, None, None]
    if noise > 0:
        pixel_noise = rng.standard_normal(images.shape, dtype=np.float32)
        pixel_noise *= noise
        images += pixel_noise
    return np.clip(images, 0.0, 1.0, out=images)


def make_shapes(n: int, size: int = 32, seed: int = 0, noise: float = 0.1, colour: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """n images with balanced classes in shuffled order: (images (n, 3, size, size) float32 in [0, 1],
    labels (n,) int64 indexing CLASSES). Grey shapes on grey backgrounds when colour is False."""
    if n < 0 or size < 8:
        raise ValueError(f"make_shapes needs n ≥ 0 and size ≥ 8, not n={n}, size={size}.")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(CLASSES)).astype(np.int64)
    return draw(labels, size, rng, noise, colour), labels


def class_examples(size: int = 32, seed: int = 0, noise: float = 0.0, colour: bool = True) -> np.ndarray:
    """(len(CLASSES), 3, size, size) float32: one example of each class, in CLASSES order (for a legend)."""
    return draw(np.arange(len(CLASSES)), size, np.random.default_rng(seed), noise, colour)
