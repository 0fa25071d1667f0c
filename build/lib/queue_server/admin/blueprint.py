"""The console's blueprint, on its own so that the routes (`views`) and the package that sets
it up (`__init__`: sign-in check, error pages, bus listeners) both import it, not each other."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
