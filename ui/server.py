"""Start the app: `python -m ui.server [streamlit options]` — what `make run` does.

The same as `streamlit run app.py`, with one fix. Until app.py's `st.navigation` has run once in
the server process, Streamlit treats a folder named pages/ as legacy multipage pages, so the
first request after a restart that deep-links to a page (a student's bookmarked /playground)
runs that page file alone: no router, no wide layout, the legacy sidebar. Our pages/ folder
holds `st.Page` files for `st.navigation` only, so we say so before the server starts.

It then imports the heavy libraries and the app's modules once and freezes them out of Python's
cyclic garbage collector (`gc.freeze()`). Measured: with torch imported, every full collection
walks its hundreds of thousands of objects, and a live view that allocates as it redraws (new
images ten times a second) triggers such collections often enough that the browser saw 2–4
image updates a second instead of 14; with the start-up objects frozen, 34. Objects created
later are collected as usual; the frozen ones are module-level and live for the whole process.

It also keeps the server from asking an outside service for this machine's public IP at start-up
(Streamlit does that only to print an "External URL"): the playground makes no outgoing requests.
"""

from __future__ import annotations

import gc
import importlib
import sys
from pathlib import Path

from streamlit import net_util
from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = Path(__file__).resolve().parents[1] / "app.py"
PRELOAD = ("torch", "numpy", "PIL.Image", "plotly.graph_objects", "engine.runtime", "ui.live", "ui.playground_views",
           "ui.optimizers_views", "ui.optimizers_sections", "ui.cnn_train", "ui.cnn_pretrained", "ui.cnn_zoo")


def preload_and_freeze() -> None:
    """Import what every page uses, then keep those objects out of the cyclic collector's walks."""
    for name in PRELOAD:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


def main(options: list[str]) -> int:
    preload_and_freeze()
    PagesManager.uses_pages_directory = False
    net_util._external_ip = ""  # "known: none", so no lookup is made
    sys.argv = ["streamlit", "run", str(APP), *options]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
