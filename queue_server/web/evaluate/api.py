"""好差评's API routes: the rating API of the evaluation pad, the phone page and the keypad's
service."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ...api import WINDOW, api, body
from ...api import models as m
from ...api import request_models as rm
from ...api.spec import documented
from ...http import current_actor, deps
from ...services import evaluation


@documented(
    api,
    "GET",
    f"/windows/{WINDOW}/evaluation",
    "The finished visit the window's evaluation pad asks about now (pending: null when none)",
    errors=(404,),
    returns=m.WindowEvaluation,
)
def window_evaluation(window: int) -> Any:
    return jsonify(evaluation.pending_at_window(deps(), window))


@documented(
    api,
    "POST",
    f"/windows/{WINDOW}/evaluation",
    "Rate the visit that ended last at this window (the window's evaluator device token; one "
    "rating a ticket)",
    body=rm.PadRating,
    auth="evaluator",
    status=201,
    errors=(404, 409),
    returns=m.TicketEvaluation,
)
def rate_at_window(window: int) -> Any:
    data = body()
    view = evaluation.rate_at_window(
        deps(),
        window,
        data.get("level"),
        data.get("reason"),
        data.get("comment"),
        number=data.get("number"),
        source="pad",
        actor=current_actor(),
    )
    return jsonify(view), 201


@documented(
    api,
    "GET",
    "/tickets/<string:token>/evaluation",
    "Whether the ticket can be rated now (一次一评), its rating, the levels and reasons",
    errors=(404,),
    returns=m.TicketEvaluation,
)
def ticket_evaluation(token: str) -> Any:
    return jsonify(evaluation.ticket_evaluation(deps(), token))


@documented(
    api,
    "POST",
    "/tickets/<string:token>/evaluation",
    "The citizen rates their served ticket from the phone page (once, within the time limit)",
    body=rm.Rating,
    status=201,
    errors=(404, 409),
    returns=m.TicketEvaluation,
)
def rate_ticket(token: str) -> Any:
    data = body()
    view = evaluation.rate_by_token(
        deps(), token, data.get("level"), data.get("reason"), data.get("comment")
    )
    return jsonify(view), 201
