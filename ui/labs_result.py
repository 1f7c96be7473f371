"""A lab's result on the Labs page: the verdict with its "because" and the rule that produced it, the
evidence plot, the figures the rule read and the lab's table, the downloads (CSV of the figures and of the
table, PNG of the plot) and the link that opens the lab's setup on the page it belongs to."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import streamlit as st

from engine.labs.base import Lab, LabResult, Verdict
from ui import labs_export, state
from ui.catalogue import PAGES
from ui.labs_charts import evidence_figure
from ui.labs_png import evidence_png
from ui.labs_run import Outcome

PAGE = "labs"
BADGES = {"supported": ("green", ":material/check_circle:"), "not supported": ("red", ":material/cancel:"),
          "mixed": ("orange", ":material/contrast:")}
log = logging.getLogger(__name__)


def plain(text: str) -> str:
    """A lab's own words shown as they are: markdown's signs escaped (a* and b* must not turn into italics,
    and $ into maths)."""
    return re.sub(r"([\\`*_\[\]$~|<>])", r"\\\1", text)


def badge(verdict: Verdict | None, failed: bool = False) -> None:
    if failed:
        st.badge("failed", icon=":material/error:", color="gray")
    elif verdict is not None:
        colour, icon = BADGES[verdict.outcome]
        st.badge(verdict.outcome, icon=icon, color=colour)


def verdict_box(lab: Lab, result: LabResult) -> None:
    with st.container(border=True):
        badge(result.verdict)
        st.markdown(f"**Verdict: {result.verdict.outcome}**, because {plain(result.verdict.because)}")
        st.caption(f"**Rule.** {plain(lab.rule)}")


def show(lab: Lab, outcome: Outcome, current: Mapping[str, Any] | None = None) -> None:
    """The outcome of the lab's last run; `current`: the settings on screen (a note if they differ)."""
    if outcome.result is None:
        st.error(f"The lab stopped: {plain(outcome.failed)} Change a setting or run it again.", icon=":material/error:")
        return
    result = outcome.result
    try:
        verdict_box(lab, result)
        if current is not None and dict(current) != dict(result.params):
            changed = ", ".join(k.label for k in lab.knobs if current.get(k.name) != result.params.get(k.name))
            st.caption(f"This result is for the settings of the last run ({changed} changed since): press **Run** for the current ones.")
        ev = result.measured.evidence
        st.plotly_chart(evidence_figure(ev), key=state.action_key(PAGE, f"{lab.key}.plot"), width="stretch")
        if ev.note:
            st.caption(plain(ev.note))
        figures, table = st.columns([1, 2])
        with figures:
            st.markdown("**The figures the rule reads**")
            st.dataframe({"figure": list(result.measured.figures), "value": [_number(v) for v in result.measured.figures.values()]},
                         hide_index=True, width="stretch")
        with table:
            st.markdown("**The measurements**")
            st.dataframe([dict(row) for row in result.measured.table], hide_index=True, width="stretch")
        settings = ", ".join(f"{k.label} {_number(result.params.get(k.name))}" for k in lab.knobs)
        st.caption(f"Settings: {settings}." + (f" Ran in {outcome.seconds:.1f} s." if outcome.seconds else ""))
        downloads(lab, result)
    except Exception as exc:  # a lab whose result does not draw must not take the page down
        log.exception("lab %s: the result could not be shown", lab.key)
        st.error(f"This result could not be shown ({exc}). Run the lab again, or try another one.", icon=":material/error:")


def downloads(lab: Lab, result: LabResult) -> None:
    a, b, c = st.columns(3)
    a.download_button("Figures (CSV)", labs_export.figures_csv(result, lab.rule), file_name=f"lab-{lab.key}-figures.csv",
                      mime="text/csv", icon=":material/download:", on_click="ignore", key=state.action_key(PAGE, f"{lab.key}.csv"),
                      width="stretch", help="The settings, the figures the rule reads, and the verdict.")
    b.download_button("Table (CSV)", labs_export.table_csv(result), file_name=f"lab-{lab.key}-table.csv", mime="text/csv",
                      icon=":material/download:", on_click="ignore", key=state.action_key(PAGE, f"{lab.key}.table_csv"),
                      width="stretch", help="Every row of the measurements.")
    subtitle = f"verdict: {result.verdict.outcome}"
    c.download_button("Plot (PNG)", lambda: evidence_png(result.measured.evidence, lab.title, subtitle), file_name=f"lab-{lab.key}.png",
                      mime="image/png", icon=":material/image:", on_click="ignore", key=state.action_key(PAGE, f"{lab.key}.png"),
                      width="stretch", help="The evidence plot as a picture, for notes and slides.")


def link(lab: Lab, params: Mapping[str, Any]) -> None:
    """'Open in <page>': the lab's setup with these settings loaded into the page it comes from."""
    if lab.link is None:
        return
    try:
        page, config = lab.link(params)
    except Exception as exc:  # a link is a convenience: its failure must not hide the result
        log.exception("lab %s: no link", lab.key)
        st.caption(f"This setup cannot be opened on its page ({exc}).")
        return
    title = next((p.title for p in PAGES if p.key == page), page)
    if st.button(f"Open in {title}", icon=":material/open_in_new:", key=state.action_key(PAGE, f"{lab.key}.link"),
                 help=f"The {title} page with this lab's setup and these settings loaded, to explore it further."):
        state.open_page_with(page, config)


def _number(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.4g}"
    return value
