"""Benchmarks: `python -m bench [PREFIX ...]` prints one `<name> <value> <unit>` line per figure.

Each module here is a group of figures with a `run(want)` generator; `want(name)` says whether a
figure was asked for, so a group skips what nobody wants. Progress goes to stderr; stdout holds
only the figures. No module imports Streamlit or Plotly: this runs on a machine with only torch.
"""
