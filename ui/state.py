"""The one place that knows session-state keys and URL query parameters.

Each browser tab gets a session id (the runtime's owner of its jobs). Each page keeps the run id
of its live job both in session state (navigating away and back) and in the URL as `?run=...`
(a refresh starts a new session, which re-attaches to the job through the URL). Later pages
also keep their whole config in the URL so that an experiment is a shareable link.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from engine.config import Config, ConfigError

C = TypeVar("C", bound=Config)

_SESSION = "session_id"
_RUN_PARAM = "run"


def session_id() -> str:
    if _SESSION not in st.session_state:
        st.session_state[_SESSION] = uuid.uuid4().hex
    return st.session_state[_SESSION]


def _run_key(page: str) -> str:
    return f"run_id:{page}"


def run_id(page: str) -> str | None:
    """This page's run: from session state, else from the URL (a refreshed page)."""
    return st.session_state.get(_run_key(page)) or st.query_params.get(_RUN_PARAM)


def set_run_id(page: str, value: str | None) -> None:
    if value is None:
        st.session_state.pop(_run_key(page), None)
        if _RUN_PARAM in st.query_params:
            del st.query_params[_RUN_PARAM]
    else:
        st.session_state[_run_key(page)] = value
        st.query_params[_RUN_PARAM] = value


def widget_key(page: str, name: str) -> str:
    """Widget keys are namespaced by page and use the config's field names (one vocabulary)."""
    return f"{page}.{name}"


def flash(page: str, message: str, kind: str = "warning") -> None:
    """Keep a message for the next rerun of the page (set from button callbacks)."""
    st.session_state[f"flash:{page}"] = (kind, message)


def take_flash(page: str) -> tuple[str, str] | None:
    return st.session_state.pop(f"flash:{page}", None)


def config_from_url(cls: type[C]) -> tuple[C, str | None]:
    """The config in the URL's query parameters (defaults for the rest), and an error message
    when they do not make a valid config (then the defaults are used)."""
    params = {k: st.query_params[k] for k in st.query_params if k != _RUN_PARAM}
    try:
        return cls.from_query(params), None
    except ConfigError as exc:
        return cls(), f"The link's settings were not valid ({exc}) — showing the defaults instead."


URL_VALUE_LIMIT = 2000  # characters; longer values (an uploaded data set) stay out of the link


def config_to_url(config: Config, exclude: tuple[str, ...] = ()) -> list[str]:
    """Write the config into the URL, keeping the run id. Returns the fields left out because
    they are too long for a link (the config's JSON download carries them) or named in
    `exclude` (an uploaded image, which must never travel in a link whatever its size)."""
    left_out = []
    for name, value in config.to_query().items():
        if len(value) > URL_VALUE_LIMIT or name in exclude:
            left_out.append(name)
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != value:
            st.query_params[name] = value
    return left_out


def first_visit(page: str) -> bool:
    """True once per browser tab and page: the moment to load the link's settings into the widgets."""
    marker = f"visited:{page}"
    if marker in st.session_state:
        return False
    st.session_state[marker] = True
    return True


def remember(page: str, name: str, value: object) -> None:
    """Keep a value for this tab across reruns and page switches (not a widget, not in the URL)."""
    st.session_state[f"{page}:{name}"] = value


def recall(page: str, name: str, default: object = None) -> object:
    return st.session_state.get(f"{page}:{name}", default)


def page_run_id(page: str) -> str | None:
    """Another page's run in this tab (session state only: the URL's run id is this page's)."""
    return st.session_state.get(_run_key(page))


def keep_widgets(page: str) -> None:
    """Keep the values of this page's widgets while they are not drawn (another page, a closed
    tab). Streamlit deletes a widget's value when a run does not draw it — after a page switch,
    and also after the partial runs of a live fragment — so each value is copied to a plain key,
    which Streamlit never deletes, and copied back when its widget's key has gone. The router
    calls this for every page at the top of every full run. Value widgets' keys start with
    "<page>." (see widget_key); buttons, uploaders and charts, whose values cannot be set, use
    action_key and are skipped."""
    prefix, skip, shadow = f"{page}.", f"{page}.do.", f"{_SHADOW}{page}."
    for k in list(st.session_state):
        if isinstance(k, str) and k.startswith(shadow) and k[len(_SHADOW):] not in st.session_state:
            st.session_state[k[len(_SHADOW):]] = st.session_state[k]  # its widget was forgotten: restore
    for k in list(st.session_state):
        if isinstance(k, str) and k.startswith(prefix) and not k.startswith(skip):
            # set through the API every run: a widget drawn again after a page switch then shows
            # this value (without it the browser showed its first option while the server kept the value)
            st.session_state[k] = st.session_state[_SHADOW + k] = st.session_state[k]


_SHADOW = "kept:"


def action_key(page: str, name: str) -> str:
    """Key for a button, an uploader or a chart selection (values a script cannot set)."""
    return f"{page}.do.{name}"


def in_link(name: str) -> bool:
    """Whether the URL names this setting (a page that shows its link's view only when asked to)."""
    return name in st.query_params


def drop_from_url(*names: str) -> None:
    """Take these settings out of the URL (the page left the view they describe)."""
    for name in names:
        if name in st.query_params:
            del st.query_params[name]


def open_page_with(page: str, config: Config) -> None:
    """Go to another page with `config` in its link, as if the learner had opened that link: the page
    loads it into its widgets on arrival (load_link_once), even if it was visited before in this tab."""
    st.session_state.pop(f"visited:{page}", None)
    st.switch_page(f"pages/{page}.py", query_params=config.to_query())


def load_link_once(page: str, cls: type[C], load: Callable[[C], None]) -> None:
    """On the page's first visit in this tab, put the link's config into the widgets (via `load`),
    or the defaults with a warning when the link's settings are not valid."""
    if first_visit(page):
        config, problem = config_from_url(cls)
        load(config)
        if problem:
            st.warning(problem)
