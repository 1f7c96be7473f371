"""Labs: the claims of the course as experiments with a verdict computed from the figures (base.py)."""
