"""Attention and positional encodings: the maths, a tiny transformer, and the experiments the
Attention and Positional-encodings pages run."""
