"""The names of the 1,000 ImageNet classes, read once from the bundled assets/imagenet_classes.txt (see its .md for
the source and licence), and the class ranges a test or a page needs (the 118 dog breeds, 151–268)."""

from __future__ import annotations

import functools
from pathlib import Path

CLASSES_FILE = Path(__file__).resolve().parents[2] / "assets" / "imagenet_classes.txt"
DOGS = range(151, 269)  # the dog breeds, Chihuahua … Mexican hairless


@functools.cache
def class_names() -> tuple[str, ...]:
    names = tuple(line.strip() for line in CLASSES_FILE.read_text(encoding="utf-8").splitlines() if line.strip())
    if len(names) != 1000:
        raise RuntimeError(f"{CLASSES_FILE} should list 1000 class names, one per line; it has {len(names)}")
    return names


def class_name(index: int) -> str:
    """The class's name, e.g. 207 → "golden retriever"."""
    return class_names()[index]
