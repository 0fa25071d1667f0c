"""The start page (/), the tab icon and /healthz."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template
from sqlalchemy import select

from ...domain.model import Hall
from ...http import deps
from ...services import views
from ...store import tables

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> Any:
    """The start page: every hall with links to its kiosk, booking, counter, lobby and window
    displays, evaluation pads and admin."""
    with deps().db.reading() as session:
        halls = [
            views.hall_view(h)
            for h in session.scalars(select(Hall).order_by(tables.halls.c.id)).all()
        ]
        windows = session.execute(
            select(tables.windows.c.id, tables.windows.c.hall_id, tables.windows.c.number).order_by(
                tables.windows.c.number
            )
        ).all()
    for hall in halls:
        hall["windows"] = [
            {"id": w.id, "number": w.number} for w in windows if w.hall_id == hall["id"]
        ]
    return render_template("index.html", halls=halls)


@bp.get("/favicon.ico")
def favicon() -> Any:
    """The tab icon browsers ask for on every page."""
    icon = Path(current_app.static_folder or "static", "favicon.ico").read_bytes()
    response = Response(icon, mimetype="image/vnd.microsoft.icon")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/healthz")
def health() -> Any:
    """For load balancers and the console: 200 when the database and the configured message
    queue answer, 503 with the reasons when either does not."""
    from flask import current_app

    from ...services import health as checks

    return checks.report(deps(), current_app.config.get("MESSAGE_QUEUE"))
