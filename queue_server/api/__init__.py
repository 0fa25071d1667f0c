"""The JSON API under /api/v1: thin routes that build a call, run a use case, return JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..domain.errors import QueueError
from ..domain.model import Hall
from ..http import (
    csrf_token,
    current_actor,
    deps,
    end_session,
    error_response,
    queue_error_response,
    start_session,
)
from ..services import auth, ratelimit, views
from ..services import queue as q
from ..services.kiosk import MAX_QUERY
from ..store import tables
from . import models as m
from .openapi import Media  # noqa: F401  (for the route modules)
from .spec import IDEMPOTENCY_KEY, Param, documented, openapi_document

PREFIX = "/api/v1"
api = Blueprint("api", __name__, url_prefix=PREFIX)

HALL = "<int:hall>"
WINDOW = "<int:window>"

# ?q= of the service-item searches (the kiosk's 办事指南 and booking).
SEARCH = Param(
    "q",
    {"type": "string", "maxLength": MAX_QUERY, "default": ""},
    "事项名称或拼音首字母，如 sb（社保）",
    "A service item's Chinese name or pinyin initials, e.g. sb for 社保",
)
TICKET_REF = {"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": 12}]}
EMPTY: dict[str, Any] = {"type": "object", "properties": {}}


def body() -> dict[str, Any]:
    """The validated JSON body of this request."""
    return g.body


# -- halls and tickets -----------------------------------------------------------------------


@documented(api, "GET", "/halls", "List the halls (city → county → town → village)",
            returns=m.HallList)  # fmt: skip
def list_halls() -> Any:
    with deps().db.reading() as session_:
        halls = session_.scalars(select(Hall).order_by(tables.halls.c.id)).all()
        return jsonify({"halls": [views.hall_view(h) for h in halls]})


@documented(
    api,
    "GET",
    f"/halls/{HALL}/categories",
    "Categories with their waiting count and estimated wait",
    errors=(404,),
    returns=m.CategoryList,
)
def hall_categories(hall: int) -> Any:
    with deps().db.reading() as s:
        status = views.QueueStatus(s, views.get_hall(s, hall), deps().clock.now())
        return jsonify({"categories": status.categories_view()})


@documented(
    api,
    "GET",
    f"/halls/{HALL}/snapshot",
    "Everything a lobby screen needs to draw the hall",
    errors=(404,),
    returns=m.HallSnapshot,
)
def hall_snapshot(hall: int) -> Any:
    with deps().db.reading() as s:
        return jsonify(views.hall_snapshot(s, views.get_hall(s, hall), deps().clock.now()))


ISSUE_BODY = m.TicketRequest


@documented(
    api,
    "POST",
    f"/halls/{HALL}/tickets",
    "Issue a ticket (kiosk device token or signed-in staff); a retry that sends the same "
    "Idempotency-Key header within 10 minutes gets the same ticket",
    body=ISSUE_BODY,
    auth="kiosk",
    status=201,
    errors=(404, 409),
    returns=m.IssuedTicket,
    headers=(IDEMPOTENCY_KEY,),
)
def issue(hall: int) -> Any:
    data = body()
    view = q.issue_ticket(
        deps(),
        current_actor(),
        hall,
        data.get("category"),
        data.get("priority"),
        data.get("phone"),
        data.get("service_item"),
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return jsonify(view), 201


@documented(
    api,
    "GET",
    "/tickets/<string:token>",
    "A ticket by its token (the citizen's page)",
    errors=(404,),
    returns=m.Ticket,
)
def ticket(token: str) -> Any:
    return jsonify(q.ticket_status(deps(), token))


@documented(
    api,
    "POST",
    "/tickets/<string:token>/cancel",
    "The citizen gives up their ticket",
    body=EMPTY,
    errors=(404, 409),
    returns=m.TicketReply,
)
def cancel_ticket(token: str) -> Any:
    return jsonify(q.cancel(deps(), token))


# -- windows ---------------------------------------------------------------------------------


@documented(
    api,
    "GET",
    f"/windows/{WINDOW}",
    "The counter panel's view of a window (posted clerk)",
    auth="clerk",
    errors=(404,),
    returns=m.WindowPanel,
)
def window_panel(window: int) -> Any:
    return jsonify(q.window_panel(deps(), current_actor(), window))


def _window_action(name: str, summary: str, schema: dict[str, Any] | None, run: Any) -> None:
    def view(window: int) -> Any:
        return jsonify(run(current_actor(), window, body()))

    view.__name__ = f"window_{name.replace('-', '_')}"
    documented(
        api,
        "POST",
        f"/windows/{WINDOW}/{name}",
        summary,
        body=schema or EMPTY,
        auth="clerk",
        errors=(404, 409),
        returns=m.WindowReply if name in WINDOW_CHANGES else m.TicketReply,
        headers=(IDEMPOTENCY_KEY,) if name == "call-next" else (),
    )(view)


WINDOW_CHANGES = ("open", "close", "pause", "resume")


_window_action("open", "Open the window (or take it over as the B post)", None,
               lambda a, w, b: q.open_window(deps(), a, w))  # fmt: skip
_window_action("close", "Close the window", None, lambda a, w, b: q.close_window(deps(), a, w))
_window_action(
    "call-next",
    "Finish the current ticket, if any, and call the next one ({ticket: null} when none waits); "
    "a retry that sends the same Idempotency-Key header gets the same ticket, and without a key "
    "a ticket called moments ago (queue rule call_next_guard_seconds, 10) is not finished: 409",
    None,
    lambda a, w, b: q.call_next(deps(), a, w, request.headers.get("Idempotency-Key")),
)
_window_action(
    "call",
    "Call a chosen ticket out of order (where the hall allows it; audited)",
    {"type": "object", "required": ["ticket"], "properties": {"ticket": TICKET_REF}},
    lambda a, w, b: q.call_ticket(deps(), a, w, b.get("ticket")),
)
_window_action("recall", "Call the current ticket again (重呼)", None,
               lambda a, w, b: q.recall(deps(), a, w))  # fmt: skip
_window_action("start", "The citizen arrived: start serving", None,
               lambda a, w, b: q.start(deps(), a, w))  # fmt: skip
_window_action(
    "finish",
    "Finish the current service with the items done and an outcome (default 办结)",
    {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "integer"}, "maxItems": 50},
            "outcome": {
                "type": "string",
                "enum": [
                    "completed",
                    "needs_correction",
                    "back_office",
                    "办结",
                    "需补正",
                    "转后台",
                ],
            },
        },
    },
    lambda a, w, b: q.finish(deps(), a, w, b.get("items"), b.get("outcome")),
)
_window_action("no-show", "Mark the called ticket as a no-show (过号)", None,
               lambda a, w, b: q.no_show(deps(), a, w))  # fmt: skip
_window_action("hold", "Park the current ticket (暂离)", None, lambda a, w, b: q.hold(deps(), a, w))
_window_action(
    "resume-held",
    "Continue serving a held ticket",
    {"type": "object", "properties": {"ticket": TICKET_REF}},
    lambda a, w, b: q.resume_ticket(deps(), a, w, b.get("ticket")),
)
_window_action(
    "return",
    "A no-show citizen came back: the ticket re-enters near the front",
    {"type": "object", "required": ["ticket"], "properties": {"ticket": TICKET_REF}},
    lambda a, w, b: q.return_ticket(deps(), a, w, b.get("ticket")),
)
_window_action(
    "transfer",
    "Transfer the current ticket to a category, window or named clerk (转移)",
    {
        "type": "object",
        "properties": {
            "category": {"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": 12}]},
            "window": {"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": 12}]},
            "clerk": {"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": 32}]},
            "note": {"type": "string", "maxLength": 200},
        },
    },
    lambda a, w, b: q.transfer(
        deps(),
        a,
        w,
        category=b.get("category"),
        to_window=b.get("window"),
        clerk=b.get("clerk"),
        note=b.get("note", ""),
    ),
)
_window_action(
    "pause",
    "Pause the window with a reason (暂停服务)",
    {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 40}},
    },
    lambda a, w, b: q.pause_window(deps(), a, w, b.get("reason")),
)
_window_action("resume", "Resume the window after a pause", None,
               lambda a, w, b: q.resume_window(deps(), a, w))  # fmt: skip


# -- sign-in ---------------------------------------------------------------------------------


@documented(
    api,
    "POST",
    "/auth/login",
    "Sign in with staff number and password: a session cookie and a bearer token "
    "(5 wrong passwords in 15 minutes lock the staff number from that address, 20 lock the "
    "address: 429; after an admin's reset: 403 password_change_required)",
    body=m.LoginRequest,
    errors=(401, 403, 429),
    returns=m.SignedIn,
)
def login() -> Any:
    data = body()
    result = ratelimit.guarded_login(
        deps(), data.get("staff_no"), data.get("password"), request.remote_addr
    )
    start_session(result)
    result["csrf_token"] = csrf_token()
    return jsonify(result)


@documented(
    api,
    "POST",
    "/auth/password",
    "Change your own password (at least 10 characters, not your staff number, not a common "
    "one): the current password proves who you are, every other sign-in of yours ends, and "
    "you are signed in afresh. Signed in, staff_no may be left out; after an admin's reset "
    "(sign-in answers 403 password_change_required) send it",
    body={
        "type": "object",
        "required": ["password", "new_password"],
        "properties": {
            "staff_no": {"type": "string", "maxLength": 32},
            "password": {"type": "string", "maxLength": 128},
            "new_password": {"type": "string", "maxLength": 128},
        },
    },
    errors=(401, 422, 429),
    returns=m.SignedIn,
)
def change_password() -> Any:
    data = body()
    staff_no = data.get("staff_no")
    if staff_no is None:
        actor = current_actor()
        if not actor.is_staff:
            from ..domain.errors import Unauthorized

            raise Unauthorized("请先登录", "Please sign in first")
        staff_no = auth.staff_number(deps(), actor.id)
    result = ratelimit.guarded_change_password(
        deps(), staff_no, data.get("password"), data.get("new_password"), request.remote_addr
    )
    start_session(result)
    result["csrf_token"] = csrf_token()
    return jsonify(result)


@documented(api, "POST", "/auth/logout", "Sign out (AB岗: your windows pause for the B post)",
            body=EMPTY, returns=m.Done)  # fmt: skip
def logout() -> Any:
    actor = current_actor()
    q.sign_out_of_windows(deps(), actor)
    from ..http import bearer_token

    token = bearer_token()
    if token:
        auth.logout(deps(), token)
    end_session()
    return jsonify({"ok": True})


@documented(api, "GET", "/auth/me", "Who is signed in", auth="clerk", returns=m.Me)
def me() -> Any:
    from ..services import access

    actor = current_actor()
    access.require_anywhere(actor, "account.self")
    return jsonify(
        {"id": actor.id, "name": actor.name, "role": actor.role, "hall_id": actor.hall_id}
    )


@api.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3 document, generated from the routes' declarations."""
    return jsonify(openapi_document(current_app, PREFIX))


EXTENSIONS = (
    "kiosk.api",
    "display.api",
    "queue_server.web.counter_api",
    "queue_server.web.booking_api",
    "queue_server.web.admin_api",
    "queue_server.web.cases_api",
)


def load_extensions() -> None:
    """Import the modules that add their routes to the API blueprint (those that exist)."""
    import importlib

    for name in EXTENSIONS:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as missing:
            if missing.name != name:
                raise


@documented(api, "GET", f"/halls/{HALL}/alarms", "Open device alarms of a hall", errors=(404,),
            returns=m.Alarms)  # fmt: skip
def hall_alarms(hall: int) -> Any:
    from ..services.alarms import open_alarms

    with deps().db.reading() as s:
        views.get_hall(s, hall)
    return jsonify({"alarms": open_alarms(deps(), hall)})


def http_error_response(error: HTTPException) -> Response:
    """An HTTP error under the API's prefix, as the API's JSON error."""
    code = error.code or 500
    messages = {
        404: ("找不到该接口", "No such API route"),
        405: ("该接口不支持此请求方法", "Method not allowed on this route"),
        413: ("请求内容过大", "Request too large"),
    }
    zh, en = messages.get(code, ("请求无效", error.description or "Bad request"))
    return error_response(error.name.lower().replace(" ", "_"), zh, en, code)


def init_app(app: Flask) -> None:
    """Mount the API and its JSON error handling."""
    app.register_blueprint(api)

    @app.errorhandler(QueueError)
    def _queue_error(error: QueueError) -> Response:
        return queue_error_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        from flask import request

        if not request.path.startswith(PREFIX):
            return error
        return http_error_response(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        app.logger.exception("unexpected error")
        return error_response(
            "internal", "系统出现问题，请稍后再试", "Something went wrong; please try again", 500
        )
