"""The Labs page's gallery: every lab as a card under its topic, with the claim, the setup, the verdict rule,
a Run button (the lab runs with the settings last chosen for it) and, once it has run, its verdict badge.
"Open" shows the lab on its own: settings, evidence, figures and downloads (ui/labs_detail.py)."""

from __future__ import annotations

import streamlit as st

from engine.labs.base import Lab
from engine.labs.registry import TOPICS, by_topic
from ui import jobs, labs_knobs, labs_run, state
from ui.labs_result import badge, plain

PAGE = "labs"
COLUMNS = 3


def choose(key: str | None) -> None:
    """Show this lab on its own (None: back to the gallery)."""
    state.remember(PAGE, "chosen", key)


def chosen() -> str | None:
    return state.recall(PAGE, "chosen")


def summary(labs: list[Lab]) -> str:
    """One line: how many labs, and the verdicts of those run in this tab."""
    outcomes = [labs_run.outcome(lab) for lab in labs]
    verdicts = [o.result.verdict.outcome for o in outcomes if o is not None and o.result is not None]
    line = f"{len(labs)} labs in {len(by_topic())} topics."
    if verdicts:
        counts = ", ".join(f"{verdicts.count(v)} {v}" for v in ("supported", "not supported", "mixed") if v in verdicts)
        line += f" Run in this tab: {len(verdicts)} ({counts})."
    return line


def gallery() -> None:
    groups = by_topic()
    titles = [TOPICS[t] for t in groups]
    if st.session_state.get(state.widget_key(PAGE, "topic")) not in (None, *titles):
        del st.session_state[state.widget_key(PAGE, "topic")]  # a topic that has no labs any more
    only = st.pills("Topic", titles, key=state.widget_key(PAGE, "topic"), label_visibility="collapsed",
                    help="Show the labs of one topic; click it again to show them all.")
    run_all([lab for t, labs in groups.items() if not only or TOPICS[t] == only for lab in labs])
    for topic, labs in groups.items():
        if only and TOPICS[topic] != only:
            continue
        st.subheader(TOPICS[topic], divider="gray")
        for start in range(0, len(labs), COLUMNS):
            for column, lab in zip(st.columns(COLUMNS), labs[start:start + COLUMNS], strict=False):
                with column:
                    card(lab)


def run_all(shown: list[Lab]) -> None:
    """Run every shown lab that has no result in this tab yet, two at a time; or stop the queue."""
    waiting = labs_run.queued()
    left, right = st.columns([1, 3], vertical_alignment="center")
    if waiting:
        left.button("Stop the queue", icon=":material/stop:", key=state.action_key(PAGE, "queue.stop"), on_click=labs_run.queue,
                    args=([],), width="stretch", help="Labs already running finish; the others stay as they are.")
        right.caption(f"{len(waiting)} lab{'s' * (len(waiting) != 1)} waiting; {labs_run.AT_ONCE} run at a time.")
        return
    todo = [lab for lab in shown if labs_run.outcome(lab) is None and not jobs.running(labs_run.job(lab))]
    left.button(f"Run all ({len(todo)})", icon=":material/playlist_play:", key=state.action_key(PAGE, "queue.start"),
                on_click=labs_run.queue, args=(todo,), disabled=not todo, width="stretch",
                help=f"Run every lab shown here that has not run in this tab yet, {labs_run.AT_ONCE} at a time, each with its settings.")


def card(lab: Lab) -> None:
    with st.container(border=True, key=state.action_key(PAGE, f"{lab.key}.card")):
        outcome = labs_run.outcome(lab)
        title, show = st.columns([3, 1.1], vertical_alignment="top")
        title.markdown(f"**{plain(lab.title)}**")
        show.button("Open", icon=":material/open_in_full:", type="tertiary", key=state.action_key(PAGE, f"{lab.key}.open"),
                    on_click=choose, args=(lab.key,), help="The lab on its own: its settings, the evidence, the figures and the downloads.")
        if outcome is not None:
            badge(outcome.result.verdict if outcome.result else None, failed=outcome.result is None)
        st.markdown(plain(lab.claim))
        with st.expander("Setup and verdict rule", key=state.action_key(PAGE, f"{lab.key}.about")):
            st.caption(f"**Setup.** {plain(lab.setup)}")
            st.caption(f"**Verdict rule.** {plain(lab.rule)}")
        if outcome is not None and outcome.result is not None:
            st.caption(f"**Last run.** {plain(outcome.result.verdict.because)}")
        elif outcome is not None:
            st.caption(f"**Last run failed.** {plain(outcome.failed)}")
        config, problem = labs_run.lab_config(lab, labs_knobs.kept_values(lab))
        if problem:
            st.caption(f"**Settings refused.** {plain(problem)} Open the lab to fix them.")
        labs_run.run_panel(lab, config)
