"""Appointments' front door: the citizen's booking pages (/book/<hall>, pages.py), and the API of
bookings, check-in, home visits, hours and the calendar (api.py)."""

from . import api
from .pages import bp

__all__ = ["api", "bp"]
