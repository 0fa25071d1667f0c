"""The kiosk's front door: the touchscreen kiosk (/kiosk/<hall>) and the ticket it hands out —
the citizen's phone page (/t/<token>) and its QR code (pages.py) — and the kiosk's /api/v1
routes: categories, tickets, 办事指南, the kiosk device and its printer (api.py)."""

from . import api
from .pages import bp

__all__ = ["api", "bp"]
