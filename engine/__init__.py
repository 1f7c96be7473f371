"""The playground's computation: PyTorch and NumPy only, never Streamlit or Plotly.

Everything a page shows is computed here and handed over as plain data (NumPy arrays, floats,
frozen dataclasses), so every module is usable from a notebook, a script or a benchmark.
"""
