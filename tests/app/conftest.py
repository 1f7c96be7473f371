"""AppTest tier: the real app script, run headless by Streamlit's AppTest against the real runtime.

The runtime is the process-wide singleton the pages use; it is shut down after each module so
no worker process outlives the tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from engine.runtime import runtime as runtime_module
from tests.app.live import assert_clean, page_opener


@pytest.fixture(autouse=True)
def _router_runs_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run app.py (the router) on every AppTest run, as a real server does.

    AppTest resets `PagesManager.uses_pages_directory` before each run, and this app has a
    pages/ folder, so every run after the first would take Streamlit's old pages-folder mode:
    run the page file on its own, skipping app.py (no sidebar, no set_page_config). On a real
    server the first `st.navigation` call switches that mode off for the whole process.
    """
    init = PagesManager.__init__

    def init_without_pages_folder(self: PagesManager, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init_without_pages_folder)


@pytest.fixture(scope="module", autouse=True)
def _shutdown_runtime() -> Iterator[None]:
    # Two workers are plenty for these tests, whatever the machine's core count.
    saved = os.environ.get("PLAYGROUND_WORKERS")
    os.environ.setdefault("PLAYGROUND_WORKERS", "2")
    try:
        yield
    finally:
        shared = runtime_module._shared
        if shared is not None:
            shared.shutdown()
            runtime_module._shared = None
        if saved is None:
            os.environ.pop("PLAYGROUND_WORKERS", None)


@pytest.fixture
def open_page(request: pytest.FixtureRequest) -> Iterator[Callable[..., AppTest]]:
    """Opens the test module's PAGE through the router (optionally from a link's query params)."""
    yield from page_opener(request.module.PAGE)


@pytest.fixture
def page(open_page: Callable[..., AppTest]) -> AppTest:
    """The test module's PAGE, opened with its defaults, without errors."""
    at = open_page()
    assert_clean(at)
    return at
