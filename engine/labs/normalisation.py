"""Labs on normalisation: see engine/labs/base.py for what a lab is."""

from __future__ import annotations

from engine.labs.base import Lab

LABS: tuple[Lab, ...] = ()
