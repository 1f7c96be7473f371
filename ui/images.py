"""Drawing helpers for the views that redraw while a job runs: PIL images as `data:` URIs.

Why images and not Plotly for live views: see ui/charts.py. Why data URIs: a media file would be
deleted by the next redraw, sometimes before the browser fetched it (a broken image), and
Streamlit would re-encode it as JPEG. Images are drawn at SCALE× their size and scaled down, so
PIL's lines and circles come out smooth.
"""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageFont

SCALE = 2


def font(size: int) -> ImageFont.ImageFont:
    """PIL's default font at `size` display pixels (drawn at SCALE×)."""
    return ImageFont.load_default(size=size * SCALE)


def data_uri(image: Image.Image, photo: bool = False) -> str:
    """The image scaled down from its drawing size, as a data URI for st.image: PNG for flat
    drawings, JPEG (quality 90) for smooth surfaces — a quarter of the bytes, five times a second."""
    image = image.resize((image.width // SCALE, image.height // SCALE), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    if photo:
        image.save(buffer, format="JPEG", quality=90)
    else:
        image.save(buffer, format="PNG", compress_level=3)
    kind = "jpeg" if photo else "png"
    return f"data:image/{kind};base64," + base64.b64encode(buffer.getvalue()).decode()
