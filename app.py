"""The playground's entry point: the router.

Every page is registered in `ui/catalogue.py`; this file turns that table into Streamlit's
navigation, adds the home page and shows the training device in the sidebar of every page.
Run it with `make run` (see README).
"""

from pathlib import Path

import streamlit as st

from engine.device import configure_threads
from ui import state, widgets
from ui.catalogue import PAGES

# Training runs in the runtime's worker processes, one per core; the page server keeps one torch
# thread so that its small computations never compete with them for the cores.
configure_threads(1)
st.set_page_config(page_title="Neural network playground", page_icon=str(Path(__file__).parent / "assets" / "icon.png"), layout="wide")

home = st.Page("pages/home.py", title="Home", icon=":material/home:", url_path="home", default=True)
pages = [st.Page(p.file, title=p.title, icon=p.icon, url_path=p.key) for p in PAGES]
navigation = st.navigation({"": [home], "Learn": pages})
widgets.device_badge()
for page in ("home", *(p.key for p in PAGES)):
    state.keep_widgets(page)  # a page's settings survive a visit to another page
navigation.run()
