"""engine/ and bench/ never import Streamlit or Plotly: they must run in a notebook, a script, or
on a GPU machine that has only torch."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import engine

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("streamlit", "plotly")


def engine_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(engine.__path__, "engine.") if not m.name.endswith("__main__")]


def test_no_import_statement_names_streamlit_or_plotly():
    pattern = re.compile(r"^\s*(import|from)\s+(streamlit|plotly)\b", re.M)
    offenders = [str(p) for folder in ("engine", "bench") for p in (ROOT / folder).rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def test_importing_every_engine_module_loads_neither():
    modules = engine_modules() + ["bench"]
    assert len(modules) > 8
    code = (
        f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(k for k in sys.modules if k.split('.')[0] in {FORBIDDEN!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
