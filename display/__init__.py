"""Window displays (/display/window/<id>) and the lobby screen (/display/hall/<id>)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("display", __name__)
