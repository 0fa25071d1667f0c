"""The start page's front door: the index of every hall's pages, the tab icon and /healthz
(pages), and the list of halls and their open device alarms (API)."""

from . import api
from .pages import bp

__all__ = ["api", "bp"]
