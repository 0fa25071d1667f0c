"""The citizen's booking pages (/book/<hall>): choose a service, a day and a time, give name,
phone and ID number, get a booking code; look a booking up by code to move or cancel it.

The real server also runs the bookings' periodic work here: missed appointments, reminders,
erasing old personal data.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Blueprint, Response, render_template, session
from flask.blueprints import BlueprintSetupState

from ..domain.errors import NotFound, QueueError
from ..domain.model import Role
from ..http import csrf_token, deps
from ..services import auth, views
from ..services.booking import housekeeping
from ..services.context import Deps
from ..services.notify import Notifier, notifier_from_config

log = logging.getLogger(__name__)
bp = Blueprint("booking", __name__)

HOUSEKEEPING_SECONDS = 60


def _page(hall: int, mode: str) -> Any:
    with deps().db.reading() as db_session:
        try:
            found = views.get_hall(db_session, hall)
        except NotFound as error:
            page = render_template(
                "book/missing.html", message=error.message, message_en=error.message_en
            )
            return Response(page, status=404)
        hall_view = {**views.hall_view(found), "notice": found.notice}
    agent = None
    if "clerk_id" in session:
        actor = auth.actor_for_clerk(deps(), int(session["clerk_id"]))
        if actor is not None:
            agent = {
                "name": actor.name,
                "role": actor.role.value if isinstance(actor.role, Role) else actor.role,
            }
    response = Response(
        render_template(
            "book/book.html",
            hall=hall_view,
            mode=mode,
            agent=agent,
            csrf=csrf_token() if agent else "",
        )
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/book/<int:hall>")
def book_page(hall: int) -> Any:
    """Book an appointment (or a home visit) on a phone."""
    return _page(hall, "book")


@bp.get("/book/<int:hall>/manage")
def manage_page(hall: int) -> Any:
    """Look a booking up by its code: see it, move it, cancel it, add it to the calendar."""
    return _page(hall, "manage")


def run_housekeeping(
    deps_: Deps, notifier: Notifier, stop: threading.Event, every: float = HOUSEKEEPING_SECONDS
) -> None:
    """Every minute: mark missed appointments, send due reminders, erase old personal data."""
    while not stop.wait(every):
        try:
            done = housekeeping(deps_, notifier)
            if any(done.values()):
                log.info("booking housekeeping: %s", done)
        except QueueError as error:
            log.warning("booking housekeeping skipped: %s", error.message_en)
        except Exception:  # the loop must outlive one bad round
            log.exception("booking housekeeping failed")


@bp.record_once
def _start_housekeeping(state: BlueprintSetupState) -> None:
    app = state.app
    if not app.config.get("DEVICE_WORKERS"):
        return  # only the real server (hallq serve) runs periodic work; tests call it directly
    notifier = app.extensions.get("hallq_notifier") or notifier_from_config(app.config)
    app.extensions["hallq_notifier"] = notifier
    stop = threading.Event()
    app.extensions["hallq_booking_housekeeping"] = stop
    thread = threading.Thread(
        target=run_housekeeping,
        args=(app.extensions["hallq"], notifier, stop),
        name="booking-housekeeping",
        daemon=True,
    )
    thread.start()
