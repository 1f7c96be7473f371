"""Small shared pieces of page furniture: the device badge and the "coming next" card."""

from __future__ import annotations

import os

import streamlit as st

from engine.device import DeviceError, cpu_count, device_info
from ui.catalogue import entry


@st.cache_data(show_spinner=False)
def _device_line() -> tuple[str, str]:
    try:
        info = device_info()
    except DeviceError as exc:
        return "error", str(exc)
    icon = {"cuda": ":material/memory:", "mps": ":material/memory:"}.get(info.kind, ":material/developer_board:")
    workers = int(os.environ.get("PLAYGROUND_WORKERS", "0")) or cpu_count()
    return icon, f"{info.name} · torch {info.torch_version} · {workers} training worker(s), 1 thread each"


def device_badge() -> None:
    """Which device trains the models, shown in the sidebar of every page."""
    icon, text = _device_line()
    if icon == "error":
        st.sidebar.error(text)
    else:
        gpu = not text.startswith("CPU")
        st.sidebar.badge("GPU" if gpu else "CPU", icon=icon, color="green" if gpu else "gray")
        st.sidebar.caption(text, help="The device that trains models, the torch version, and the worker processes that train them.")


def coming_next(key: str) -> None:
    """A page whose issue is not built yet: what it will teach, and where to go meanwhile."""
    page = entry(key)
    st.title(page.title)
    st.markdown(page.teaches)
    st.info("This page is coming next. Meanwhile, try the warm-up on the home page.", icon=":material/construction:")
