"""The counter's front door: the clerk's panel (/counter, pages.py) and the window's API routes
(api.py: the clerk's windows, the window's actions, its figures)."""

from . import api
from .pages import bp

__all__ = ["api", "bp"]
