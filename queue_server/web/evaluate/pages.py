"""好差评's pages: the evaluation pad facing the citizen at a window (/evaluate/<window>) and
the phone widget on a page of its own (/evaluate/ticket/<token>)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlalchemy import select

from ...domain.errors import NotFound
from ...domain.model import Window
from ...http import deps
from ...services import evaluation, views
from ...store import tables

bp = Blueprint("evaluate", __name__)


@bp.get("/evaluate/<int:window>")
def pad(window: int) -> Any:
    """The tablet facing the citizen: five big buttons after each finished service."""
    with deps().db.reading() as session:
        win = session.scalars(select(Window).where(tables.windows.c.id == window)).first()
        if win is None:
            return (
                render_template(
                    "evaluate/missing.html", message="找不到该窗口", message_en="No such window"
                ),
                404,
            )
        hall = views.get_hall(session, win.hall_id)
        return render_template(
            "evaluate/pad.html",
            window=views.window_view(session, win),
            hall=views.hall_view(hall),
            levels=evaluation.levels_view(),
            reasons=evaluation.reasons_view(),
        )


@bp.get("/evaluate/ticket/<string:token>")
def ticket_page(token: str) -> Any:
    """The phone widget on a page of its own (a link the phone page or an SMS can give)."""
    try:
        status = evaluation.ticket_evaluation(deps(), token)
    except NotFound as error:
        page = render_template(
            "evaluate/missing.html", message=error.message, message_en=error.message_en
        )
        return page, 404
    return render_template("evaluate/ticket.html", token=token, status=status)
