"""The Playground experiment: a small MLP trained live on 2-D data (TensorFlow Playground and beyond).

config.py is the experiment as data (and the URL), trainer.py trains it in the runtime,
views.py computes what the page shows, export.py writes it out as plain PyTorch, presets.py
holds the teaching scenarios.
"""
