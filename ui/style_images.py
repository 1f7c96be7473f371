"""The style-transfer page's two inputs: the content image C and the style image S, each a bundled sample (credited
where its licence asks) or the learner's own upload, decoded safely by ui/image_picker.py.

A sample travels in the config by name; an upload as base64 PNG text (engine.style.images.encode_png), which the
page keeps out of the link. Encoding is cached by the image's bytes, so a rerun does not encode it again.
"""

from __future__ import annotations

import dataclasses
import hashlib

import streamlit as st
from PIL import Image

from engine.style import images
from ui import state
from ui.image_picker import UPLOAD, pick_image
from ui.images import data_uri

PAGE = "style"
THUMB_HEIGHT = 220  # px: the two inputs are shown at most this tall
ROLES = {"content": ("Content image C", ("content",), "dog"),
         "style": ("Style image S", ("style", "content"), "style-starry-night")}


@dataclasses.dataclass(frozen=True)
class Choice:
    """One input as the config names it: a sample's name with no PNG, or "upload" with its PNG text."""

    name: str
    png: str = ""
    image: Image.Image | None = None


@st.cache_data(show_spinner=False, max_entries=8, hash_funcs={bytes: len})
def _png(digest: str, size: tuple[int, int], raw: bytes) -> str:
    return images.encode_png(Image.frombytes("RGB", size, raw))


def _encode(image: Image.Image) -> str:
    raw = image.tobytes()
    return _png(hashlib.sha1(raw).hexdigest(), image.size, raw)


def _pick(role: str) -> Choice | None:
    title, kinds, default = ROLES[role]
    image, caption = pick_image(PAGE, role, title, kinds=kinds, default=default)
    if image is None:
        return None
    small = image.copy()
    small.thumbnail((2 * THUMB_HEIGHT, THUMB_HEIGHT))  # a portrait stays short
    # a data URI, not a media file: a rerun (the live panel redraws the page when a model is built) cannot cut its download
    st.image(data_uri(small, photo=True, drawn_at=1), caption=caption)
    name = st.session_state[state.widget_key(PAGE, f"{role}.image")]  # the picker's select box
    return Choice(name, _encode(image) if name == UPLOAD else "", image)


def images_section() -> tuple[Choice | None, Choice | None]:
    """The two pickers side by side; (content, style), None for an upload that is missing or unusable (the reason is
    already on the page). A note when both are the same image."""
    left, right = st.columns(2, gap="large")
    with left:
        content = _pick("content")
    with right:
        style = _pick("style")
    if content and style and (content.name, content.png) == (style.name, style.png):
        st.info("Content and style are the same image. It still works: started from the content, both terms are already "
                "zero, so the image hardly changes (total variation smooths it a little). Started from noise, the content "
                "term rebuilds the layout and the style term its textures.", icon=":material/info:")
    return content, style
