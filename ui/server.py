"""Start the app: `python -m ui.server [streamlit options]` — what `make run` does.

The same as `streamlit run app.py`, with one fix. Until app.py's `st.navigation` has run once in
the server process, Streamlit treats a folder named pages/ as legacy multipage pages, so the
first request after a restart that deep-links to a page (a student's bookmarked /playground)
runs that page file alone: no router, no wide layout, the legacy sidebar. Our pages/ folder
holds `st.Page` files for `st.navigation` only, so we say so before the server starts.

It also keeps the server from asking an outside service for this machine's public IP at start-up
(Streamlit does that only to print an "External URL"): the playground makes no outgoing requests.
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit import net_util
from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = Path(__file__).resolve().parents[1] / "app.py"


def main(options: list[str]) -> int:
    PagesManager.uses_pages_directory = False
    net_util._external_ip = ""  # "known: none", so no lookup is made
    sys.argv = ["streamlit", "run", str(APP), *options]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
