"""The CNN page's first section: a hand-made kernel on a photo, the result side by side.

The kernel is an editable grid (a preset to start from, then any cell can be changed: numbers,
decimals or fractions like 1/16); it is parsed by engine/cnn/kernels.py, which names the cell of
any entry that is not a number. The grid's edits live in the data editor's own state; choosing a
preset loads a fresh grid under a new editor key.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image

from engine.cnn import kernels
from ui import state
from ui.image_picker import pick_image

PAGE = "cnn"
WORK_SIDE = 384  # the photo is filtered at this size: fast, and big enough to see edges
CUSTOM = {"Custom 3×3": 3, "Custom 5×5": 5}


def key(name: str) -> str:
    return state.widget_key(PAGE, f"kernel.{name}")


def _grid_text(preset: str) -> str:
    if preset in CUSTOM:
        n = CUSTOM[preset]
        identity = np.zeros((n, n), np.float32)
        identity[n // 2, n // 2] = 1
        return kernels.format_kernel(identity)
    return kernels.format_kernel(kernels.PRESETS[preset])


def _load_preset() -> None:
    """The preset changed: a fresh grid (a new editor key drops the old grid's edits)."""
    version = int(state.recall(PAGE, "kernel.version", 0)) + 1
    state.remember(PAGE, "kernel.version", version)


def kernel_editor() -> tuple[np.ndarray | None, str]:
    """The preset picker and the editable grid; returns (kernel or None, its name)."""
    presets = [*kernels.PRESETS, *CUSTOM]
    st.session_state.setdefault(key("preset"), "Sobel x")
    preset = st.selectbox("Start from", presets, key=key("preset"), on_change=_load_preset,
                          help="A classic kernel; then edit any cell of the grid below.")
    rows = [row.split() for row in _grid_text(preset).splitlines()]
    n = len(rows)
    version = int(state.recall(PAGE, "kernel.version", 0))
    edited = st.data_editor(
        {f"c{j + 1}": [rows[i][j] for i in range(n)] for j in range(n)},
        key=state.action_key(PAGE, f"kernel.grid.{version}.{preset}"), hide_index=True, width=70 * n,
        column_config={f"c{j + 1}": st.column_config.TextColumn(f"{j + 1}", width="small") for j in range(n)},
    )
    cells = [[str(edited[f"c{j + 1}"][i] or "").strip() for j in range(n)] for i in range(n)]
    for i, row in enumerate(cells):
        for j, cell in enumerate(row):
            if not cell or len(cell.replace(",", " ").replace(";", " ").split()) != 1:
                what = f"“{cell}” is not one number" if cell else "the cell is empty"
                st.error(f"The kernel cannot be used: row {i + 1}, column {j + 1}: {what}.")
                return None, preset
    try:
        kernel = kernels.parse_kernel("\n".join(" ".join(row) for row in cells))
    except kernels.KernelError as exc:
        st.error(f"The kernel cannot be used: {exc}")
        return None, preset
    if preset in kernels.PRESETS and np.array_equal(kernel, kernels.PRESETS[preset]):
        note = kernels.PRESET_NOTES.get(preset, "")
    else:
        note = "Your own kernel: each output pixel is the sum of the pixels under the grid, each multiplied by its cell."
        preset = f"{preset} (edited)" if preset in kernels.PRESETS else "your kernel"
    st.caption(f"{note} Entries sum to **{kernel.sum():g}**.")
    return kernel, preset


def _work_image(image: Image.Image) -> np.ndarray:
    scale = WORK_SIDE / max(image.size)
    if scale < 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8)


def kernels_section() -> None:
    st.markdown(
        "A convolution slides a small grid of weights (the **kernel**) over the image; each output pixel is the sum of the "
        "pixels under it, each times its weight (deep-learning libraries compute this cross-correlation, without flipping "
        "the kernel). A CNN *learns* its kernels; here you set them by hand.")
    left, right = st.columns([1, 2], gap="large")
    with left:
        image, caption = pick_image(PAGE, "kernel", "Image", kinds=("content", "style"), default="palace-china")
        kernel, name = kernel_editor()
        st.session_state.setdefault(key("mode"), "grayscale")
        mode = st.radio("Apply to", ["grayscale", "per channel"], key=key("mode"), horizontal=True,
                        help="Grayscale: one response map from the luminance. Per channel: the kernel on R, G and B separately.")
        edge_like = kernel is not None and bool(kernels.display_signed(kernel))
        signed_key = key("magnitude")
        st.session_state.setdefault(signed_key, False)
        magnitude = st.toggle("Show |response| (edge strength)", key=signed_key, disabled=not edge_like,
                              help="For kernels whose entries sum to 0 (edge detectors), whose responses are negative and "
                                   "positive. Off: 0 is mid-grey, negative dark, positive light. On: the absolute value, black for 0.")
    if image is None or kernel is None:
        return
    pixels = _work_image(image)
    response = kernels.apply_kernel(pixels, kernel, mode=mode, padding="same")
    shown = kernels.to_display(response, signed=(not magnitude) if edge_like else None)
    with right:
        a, b = st.columns(2)
        a.image(pixels, caption=f"input · {caption}", width="stretch")
        how = "|response|" if edge_like and magnitude else ("signed: grey = 0" if edge_like else "clipped to 0–255")
        b.image(shown, caption=f"{name} · {mode} · {how}", width="stretch")
        low, high = float(response.min()), float(response.max())
        st.caption(f"Response range {low:.3g} … {high:.3g} (pixels scaled to 0–1); same padding keeps the size "
                   f"{response.shape[1]} × {response.shape[0]}.")
