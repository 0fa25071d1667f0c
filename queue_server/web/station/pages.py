"""The village station's page (/station/<hall>, 代办、转报): its agent signs in, registers a case
on a citizen's behalf for the town's back office, follows the station's cases and hands out
those sent back to the station. The page is a shell; what it shows comes from /api/v1 with the
agent's session, under the access policy."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template

from ...domain.errors import NotFound
from ...domain.model import HallKind
from ...http import csrf_token, deps, session_actor
from ...services import views

bp = Blueprint("station", __name__)


@bp.get("/station/<int:hall>")
def station_page(hall: int) -> Any:
    """代办、转报 at a village station."""
    with deps().db.reading() as db_session:
        try:
            found = views.get_hall(db_session, hall)
        except NotFound as error:
            page = render_template(
                "book/missing.html", message=error.message, message_en=error.message_en
            )
            return Response(page, status=404)
        station = {**views.hall_view(found), "village": found.kind is HallKind.VILLAGE}
    actor = session_actor()
    me = {"name": actor.name} if actor is not None else None
    response = Response(
        render_template("station/station.html", hall=station, me=me, csrf=csrf_token())
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
