"""The clerk's counter panel (/counter)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("counter", __name__)
