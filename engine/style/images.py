"""The images of a style transfer: uploads carried as base64 PNG text, fitting content and style to the chosen
size, and the luma/chroma split (BT.601 YCbCr) behind colour preservation.

A runtime config must fit in JSON and a URL, so it cannot hold arrays: a sample is named, and an upload is
carried as base64 PNG text (`encode_png`, already shrunk) that `decode_png` reads back through the safe
decoder in engine.vision.imageio. The generated image takes the content's aspect ratio with its longer side at
the chosen size; the style image keeps its own aspect ratio and is scaled to the same area, so its brush
strokes have the same scale relative to the result whatever the originals' sizes.
"""

from __future__ import annotations

import base64
import binascii
import io
import math

import numpy as np
import torch
from PIL import Image

from engine.vision.imageio import open_image

UPLOAD_SIDE = 1024  # encode_png shrinks uploads to this longer side first
KR, KB = 0.299, 0.114  # BT.601 luma weights of red and blue (green: 1 − KR − KB)


def encode_png(image: Image.Image | np.ndarray, max_side: int = UPLOAD_SIDE) -> str:
    """An image as base64 PNG text for content_png / style_png, shrunk first to max_side on its longer side."""
    image = Image.fromarray(image).convert("RGB") if isinstance(image, np.ndarray) else image.convert("RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def decode_png(text: str, role: str = "image") -> np.ndarray:
    """base64 image text as a uint8 array (H, W, 3), or a ValueError a learner can read."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the uploaded {role} image is not valid base64 text.") from None
    return np.asarray(open_image(data))


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.LANCZOS))


def fit(content: np.ndarray, style: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The content with its longer side = size; the style with its own aspect ratio and the same area."""
    h, w = content.shape[:2]
    scale = size / max(h, w)
    ch, cw = max(16, round(h * scale)), max(16, round(w * scale))
    sh, sw = style.shape[:2]
    scale = math.sqrt(ch * cw / (sh * sw))
    return resize(content, cw, ch), resize(style, max(16, round(sw * scale)), max(16, round(sh * scale)))


def _ycbcr_matrix(device: torch.device) -> torch.Tensor:
    kg = 1.0 - KR - KB
    return torch.tensor([[KR, kg, KB],  # Y
                         [-KR / (2 - 2 * KB), -kg / (2 - 2 * KB), 0.5],  # Cb = (B − Y) / (2 − 2 KB)
                         [0.5, -kg / (2 - 2 * KR), -KB / (2 - 2 * KR)]], device=device)  # Cr = (R − Y) / (2 − 2 KR)


def to_ycbcr(rgb: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) RGB in [0, 1] → (B, 3, H, W) Y, Cb, Cr with Y in [0, 1] and chroma centred on 0."""
    return torch.einsum("ij,bjhw->bihw", _ycbcr_matrix(rgb.device), rgb)


def from_ycbcr(ycc: torch.Tensor) -> torch.Tensor:
    """The inverse of to_ycbcr (not clamped)."""
    return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(_ycbcr_matrix(ycc.device)), ycc)


def match_luma(style_y: torch.Tensor, content_y: torch.Tensor) -> torch.Tensor:
    """The style's luma shifted and scaled to the content's mean and standard deviation (Gatys et al., 2016)."""
    return ((style_y - style_y.mean()) / (style_y.std() + 1e-6) * content_y.std() + content_y.mean()).clamp(0, 1)


def thumbnail(image: np.ndarray, side: int) -> np.ndarray:
    """A uint8 image (H, W, 3) shrunk to fit side × side, aspect ratio kept."""
    small = Image.fromarray(image)
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    return np.asarray(small)
