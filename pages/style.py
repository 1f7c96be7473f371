"""Style transfer page: not built yet; its issue fills it in."""

from ui import widgets

widgets.coming_next("style")
