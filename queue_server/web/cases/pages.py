"""Pages of cases: the back office's workbench (/backoffice, 审批工作台) and the citizen's page
of a case (/c/<token>, the receipt's QR code; masked, live)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template

from ...domain.errors import NotFound
from ...http import csrf_token, deps, session_actor
from ...services import cases

bp = Blueprint("cases", __name__)


@bp.get("/backoffice")
def workbench() -> Any:
    """The approvers' workbench; the signed-in session cookie carries every action."""
    actor = session_actor()
    me = {"id": actor.id, "name": actor.name, "hall": actor.hall_id} if actor else None
    return render_template("backoffice/workbench.html", me=me, csrf=csrf_token() if me else "")


@bp.get("/c/<string:token>")
def case_page(token: str) -> Any:
    """The citizen's page of a case: its state, promised day, what is missing, where to pick
    it up. The token in the address is the key: not sent on to other sites, not cached."""
    try:
        case = cases.find_by_token(deps(), token)
        response = Response(render_template("case/page.html", case=case, token=token))
    except NotFound as error:
        page = render_template(
            "case/missing.html", message=error.message, message_en=error.message_en
        )
        response = Response(page, status=404)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
