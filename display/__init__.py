"""The screens' front door: the window displays, the lobby screen, their spoken announcements
(voice.py) and the screen set-up page (pages.py), and the lobby screen's snapshot (api.py)."""

from . import api
from .pages import bp

__all__ = ["api", "bp"]
