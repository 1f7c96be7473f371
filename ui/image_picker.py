"""Choosing an image: a bundled sample or the learner's own upload, decoded safely.

Used by the CNN page (kernels, the pretrained CNN) and the style-transfer page. An upload is
decoded by engine/vision/imageio.py (decompression bombs refused before decoding, CMYK, palette,
alpha, 16-bit, animations and EXIF rotation handled); any problem becomes a message on the page.
The upload's bytes are kept in session state, so the image survives page switches and closed
tabs, where Streamlit forgets an uploader's file.
"""

from __future__ import annotations

import streamlit as st
from PIL import Image

from engine.vision.imageio import open_image
from engine.vision.samples import SAMPLES, load_sample
from ui import state

UPLOAD = "upload"
MAX_SIDE = 1024  # larger uploads are scaled down for the page (the models work at 224–512 px)
TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp"]


@st.cache_data(show_spinner=False, max_entries=16)
def _decode(data: bytes) -> tuple[Image.Image | None, str | None, str | None]:
    """(image, error, note): the upload as RGB at most MAX_SIDE px, or why it cannot be used."""
    try:
        image = open_image(data)
    except ValueError as exc:
        return None, str(exc), None
    w, h = image.size
    if max(w, h) <= MAX_SIDE:
        return image, None, None
    scale = MAX_SIDE / max(w, h)
    small = image.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
    return small, None, f"Your image is {w} × {h} px; it was scaled down to {small.width} × {small.height} px."


@st.cache_resource(show_spinner=False)
def sample(name: str) -> Image.Image:
    """A bundled sample, decoded once per process (read-only: callers copy before drawing on it)."""
    return load_sample(name)


def label(name: str) -> str:
    return "Upload your own…" if name == UPLOAD else SAMPLES[name].title


def pick_image(page: str, name: str, title: str, kinds: tuple[str, ...] = ("content",), default: str = "dog"
               ) -> tuple[Image.Image | None, str]:
    """A select box of samples plus "Upload your own…"; returns (image or None, a caption naming it).

    None means an upload is chosen but there is no usable file yet; the reason is already on the page."""
    options = [key for key, s in SAMPLES.items() if s.kind in kinds] + [UPLOAD]
    choice_key = state.widget_key(page, f"{name}.image")
    st.session_state.setdefault(choice_key, default if default in options else options[0])
    choice = st.selectbox(title, options, key=choice_key, format_func=label)
    if choice != UPLOAD:
        credit = SAMPLES[choice].credit
        return sample(choice), SAMPLES[choice].title + (f" — {credit}" if credit else "")
    file = st.file_uploader("Your image", type=TYPES, key=state.action_key(page, f"{name}.file"),
                            help="PNG, JPEG, GIF (first frame), BMP, TIFF or WebP, up to 40 megapixels.")
    if file is not None:
        state.remember(page, f"{name}.upload", (file.name, file.getvalue()))
    kept = state.recall(page, f"{name}.upload")
    if kept is None:
        st.info("Choose an image file to upload, or pick one of the samples.")
        return None, ""
    filename, data = kept
    image, error, note = _decode(data)
    if error:
        st.error(f"**{filename}** cannot be used: {error}")
        return None, ""
    if note:
        st.caption(note)
    return image, filename
