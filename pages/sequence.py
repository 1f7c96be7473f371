"""Sequence models page: not built yet; its issue fills it in."""

from ui import widgets

widgets.coming_next("sequence")
