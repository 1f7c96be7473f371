"""The bundled sample images (assets/images, with SOURCES.md): content photos and style images.

Every file comes from a package in a public registry; SOURCES.md gives its licence and author.
`credit` is the attribution a page must show next to an image whose licence requires it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PIL import Image

from engine.vision.imageio import open_image

FOLDER = Path(__file__).resolve().parents[2] / "assets" / "images"


@dataclasses.dataclass(frozen=True)
class Sample:
    file: str
    title: str
    kind: str  # "content" or "style"
    credit: str | None = None  # shown wherever the image is shown (CC BY)


SAMPLES: dict[str, Sample] = {s.file.removesuffix(".jpg"): s for s in (
    Sample("dog.jpg", "a dog on a porch", "content"),
    Sample("cat-chelsea.jpg", "Chelsea the cat", "content"),
    Sample("bird-eagle.jpg", "a bald eagle", "content"),
    Sample("coffee.jpg", "an espresso", "content"),
    Sample("rocket.jpg", "a rocket on its pad", "content"),
    Sample("astronaut.jpg", "astronaut Eileen Collins", "content"),
    Sample("palace-china.jpg", "the Summer Palace, Beijing", "content", "danielbuechele (Flickr), CC BY 2.0, resized"),
    Sample("style-starry-night.jpg", "van Gogh, The Starry Night", "style"),
    Sample("style-scream.jpg", "Munch, The Scream", "style"),
    Sample("style-hubble.jpg", "Hubble eXtreme Deep Field", "style"),
    Sample("style-gravel.jpg", "gravel", "style"),
    Sample("style-brick.jpg", "brick wall", "style"),
)}


def load_sample(name: str) -> Image.Image:
    """A bundled sample as RGB, by its name (the file name without .jpg)."""
    if name not in SAMPLES:
        raise ValueError(f"there is no sample called {name!r}: choose one of {', '.join(SAMPLES)}.")
    return open_image((FOLDER / SAMPLES[name].file).read_bytes())
