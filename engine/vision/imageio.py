"""Safe image loading for uploads: any bytes in, an 8-bit RGB PIL image out, or a ValueError whose message a page can show.

An upload can be anything, so `open_image` checks in order of cost. It reads only the header first (PIL's `Image.open`
is lazy) and refuses images whose declared width × height is above a pixel limit *before* decoding, because a few
kilobytes of PNG can declare a 100 000 × 100 000 image (a "decompression bomb") that would need tens of gigabytes once
decoded. Pillow's own limits (a warning above `Image.MAX_IMAGE_PIXELS`, about 89 MP, and an error above twice that) stay
in place as a second guard; our default limit of 40 MP is below both, and we never change Pillow's global setting. Only then
is the file decoded; a file that is not an image, or is cut short, gives a clear message. The decoded image is
normalised: EXIF orientation applied (phones store portraits sideways plus a "rotate me" tag), the first frame of an
animation, transparency composited onto white (what a viewer shows on a white page, and never black where alpha is 0),
16-bit values scaled to 8 bits rather than clipped, and every other mode (CMYK, palette, greyscale…) converted to RGB.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # e.g. 8000 × 5000: larger than any phone photo, about 120 MB once decoded as RGB
BACKGROUND = (255, 255, 255)  # transparent pixels are shown on white


def open_image(data: bytes, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode uploaded bytes into an RGB image, or raise ValueError with a message fit for the learner."""
    if not data:
        raise ValueError("The file is empty.")
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
    except UnidentifiedImageError:
        raise ValueError("This file is not an image that can be read (try a PNG, JPEG, GIF, BMP, TIFF or WebP).") from None
    except Image.DecompressionBombError as error:  # declared size above twice Pillow's own limit
        raise ValueError(f"The image is too large to open safely: {error}") from None
    except (OSError, SyntaxError, EOFError, ValueError) as error:
        raise ValueError(f"The image header could not be read; the file may be damaged ({error}).") from None
    width, height = image.size
    if width * height > max_pixels:
        raise ValueError(
            f"The image is {width} × {height} = {width * height:,} pixels; the limit is {max_pixels:,}. Please upload a smaller image."
        )
    try:
        image.seek(0)  # an animation's first frame
        image.load()
    except (OSError, SyntaxError, EOFError, ValueError) as error:
        raise ValueError(f"The image could not be decoded; the file is truncated or damaged ({error}).") from None
    return to_rgb(ImageOps.exif_transpose(image))


def to_rgb(image: Image.Image) -> Image.Image:
    """Any PIL mode as 8-bit RGB: alpha composited on white, 16-bit and 32-bit integer greyscale scaled, not clipped."""
    mode = image.mode
    if mode == "RGB":
        return image.copy() if getattr(image, "is_animated", False) else image
    if (mode == "P" and "transparency" in image.info) or mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (*BACKGROUND, 255)), rgba).convert("RGB")
    if mode.startswith("I") or mode == "F":
        return Image.fromarray(scale_to_uint8(np.asarray(image), mode), mode="L").convert("RGB")
    try:
        return image.convert("RGB")  # CMYK, P without transparency, L, 1, YCbCr, LAB, HSV
    except (ValueError, OSError) as error:
        raise ValueError(f"Images in PIL mode {mode!r} are not supported ({error}).") from None


def scale_to_uint8(values: np.ndarray, mode: str) -> np.ndarray:
    """Greyscale of more than 8 bits as 0–255.

    16-bit modes (I;16, I;16B…, from PNG and TIFF) span 0–65535, so divide by 257 (65535 → 255 exactly, and a dark
    16-bit image stays dark). Mode "I" (32-bit) does not say its range; Pillow uses it for 16-bit PNGs in some versions,
    so values within 0–65535 are read as 16-bit, anything wider is stretched from its minimum to its maximum. Float
    data ("F") within 0–1 is scaled by 255, otherwise stretched likewise."""
    values = values.astype(np.float64)
    low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
    if mode.startswith("I;16") or (mode == "I" and low >= 0 and high <= 65535):
        scaled = values / 257.0
    elif mode == "F" and low >= 0 and high <= 1:
        scaled = values * 255.0
    else:
        scaled = (values - low) / max(high - low, 1e-12) * 255.0
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
