"""Helpers for AppTests of pages with a live panel: read its status line, wait for the job."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from streamlit.testing.v1 import AppTest

from engine.runtime import get_runtime

ROOT = Path(__file__).resolve().parents[2]
STATUS = re.compile(r"^\*\*(\w+)\*\* · (?:epoch|step) ([\d,]+)")
TIMEOUT_S = 10.0


class Status(NamedTuple):
    state: str
    epoch: int


def page_opener(page: str) -> Iterator[Callable[..., AppTest]]:
    """For a fixture: a function that opens `page` through the router (optionally from a link's
    query params); every run it opened is freed afterwards."""
    opened: list[AppTest] = []

    def open_(**params: str) -> AppTest:
        at = app()
        at.query_params.update(params)  # the link, there before the page's first run
        at.run()  # the first run registers the navigation, which switch_page resolves against
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        opened.append(at)
        return at

    yield open_
    for at in opened:
        if run_id := at.query_params.get("run"):  # free the worker for the next test
            get_runtime().release(run_id)


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def status(at: AppTest) -> Status | None:
    """The live panel's status line ("**running** · epoch 1,045 · loss ..."), parsed."""
    for markdown in at.markdown:
        if match := STATUS.match(markdown.value):
            return Status(match[1], int(match[2].replace(",", "")))
    return None


def until(at: AppTest, ok: Callable[[Status], bool], timeout: float = TIMEOUT_S) -> Status:
    """Rerun the page until its status line satisfies `ok` (the worker confirms asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        assert_clean(at)
        now = status(at)
        if now is not None and ok(now):
            return now
        if time.monotonic() > deadline:
            raise AssertionError(f"status never satisfied the condition in {timeout} s; last: {now}")
        time.sleep(0.1)
        at.run()


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert_clean(at)
    return at


def running(at: AppTest, page: str) -> tuple[str, Status]:
    """Press the page's Run and wait until its job has taken a few epochs; returns (run id, status)."""
    click(at, f"{page}.do.run")
    now = until(at, lambda s: s.state == "running" and s.epoch > 0)
    run_id = at.query_params["run"]
    assert isinstance(run_id, str) and run_id
    return run_id, now


def pause_holds(at: AppTest, page: str, seconds: float = 0.5) -> Status:
    """Press Pause; the job reaches "paused" and takes no step while paused. Returns that status."""
    click(at, f"{page}.do.pause")
    paused = until(at, lambda s: s.state == "paused")
    time.sleep(seconds)
    assert until(at.run(), lambda s: True) == paused, "a paused job must not train"
    return paused
