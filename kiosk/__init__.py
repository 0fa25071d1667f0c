"""The self-service kiosk (/kiosk/<hall>) and the citizen's phone page (/t/<token>)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("kiosk", __name__)
