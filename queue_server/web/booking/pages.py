"""The citizen's booking pages (/book/<hall>): choose a service, a day and a time, give name,
phone and ID number, get a booking code; look a booking up by code to move or cancel it.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, render_template

from ...domain.errors import NotFound
from ...domain.model import Role
from ...http import csrf_token, deps, session_actor
from ...services import views

log = logging.getLogger(__name__)
bp = Blueprint("booking", __name__)


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
    actor = session_actor()
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
