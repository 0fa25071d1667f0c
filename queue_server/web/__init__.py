"""Server-rendered pages: the index, and the blueprints of the kiosk, counter and displays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, request
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from ..domain.model import Hall
from ..http import deps
from ..services import views
from ..store import tables

pages = Blueprint("pages", __name__)


@pages.get("/")
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


@pages.get("/favicon.ico")
def favicon() -> Any:
    """The tab icon browsers ask for on every page."""
    icon = Path(current_app.static_folder or "static", "favicon.ico").read_bytes()
    response = Response(icon, mimetype="image/vnd.microsoft.icon")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@pages.get("/healthz")
def health() -> Any:
    """For load balancers and the console: 200 when the database and the configured message
    queue answer, 503 with the reasons when either does not."""
    from flask import current_app

    from ..services import health as checks

    return checks.report(deps(), current_app.config.get("MESSAGE_QUEUE"))


def init_app(app: Flask) -> None:
    """Mount the pages of every part of hallq."""
    import display
    import kiosk

    from .. import admin
    from . import booking, counter, evaluate, labels, station

    app.register_blueprint(pages)
    table = labels.labels()
    # Every template names states and priorities from the domain's one table.
    app.context_processor(
        lambda: {"state_names": table["states"], "priority_names": table["priorities"]}
    )
    for blueprint in (kiosk.bp, display.bp, counter.bp, evaluate.bp, booking.bp, admin.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(station.bp)

    @app.errorhandler(404)
    def _not_found(error: NotFound) -> Any:
        """An unknown address: the API answers in JSON, a page in both languages."""
        from ..api import PREFIX, http_error_response

        if request.path.startswith(PREFIX):
            return http_error_response(error)
        return render_template("not_found.html"), 404

    @app.after_request
    def _security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


# Everything a page uses comes from hallq itself (halls run on closed networks: no CDN): no
# inline script or style, no plugin, no other site framing a page or receiving a form.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)
