"""A lab's result as CSV text for the Labs page's downloads: pure functions, no Streamlit calls.

Two files, each a plain rectangle that a spreadsheet opens as it is: the *figures* (the run's settings, the
named figures the rule reads and the verdict, one `kind,name,value` row each) and the *table* (the lab's rows,
one column per key, in the order they first appear).
"""

from __future__ import annotations

import csv
import io

from engine.labs.base import LabResult


def figures_csv(result: LabResult, rule: str = "") -> str:
    rows = [("setting", name, value) for name, value in result.params.items()]
    rows += [("figure", name, value) for name, value in result.measured.figures.items()]
    rows += [("verdict", "outcome", result.verdict.outcome), ("verdict", "because", result.verdict.because)]
    if rule:
        rows.append(("verdict", "rule", rule))
    return _write([("kind", "name", "value"), *rows])


def table_csv(result: LabResult) -> str:
    columns: list[str] = []
    for row in result.measured.table:
        columns += [k for k in row if k not in columns]
    return _write([columns, *([row.get(c, "") for c in columns] for row in result.measured.table)])


def _write(rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()
