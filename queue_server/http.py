"""What every HTTP handler shares: the wired adapters, who is asking, and error replies."""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, g, jsonify, request, session
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from .domain.errors import InvalidInput, QueueError, Unauthorized
from .services import auth
from .services.context import ANONYMOUS, Actor, Deps

STATUS = {
    "invalid": 422,
    "materials_missing": 422,
    "bad_request": 400,
    "not_found": 404,
    "conflict": 409,
    "full": 409,
    "calendar_year_missing": 409,
    "forbidden": 403,
    "unauthorized": 401,
    "unavailable": 503,
    "too_many": 429,
    "password_change_required": 403,
}


RECORD_ID_MAX = 2**31 - 1  # ids are 32-bit in the database
# A signed-in session (console or counter, cookie or API) lasts at most this long from sign-in,
# whatever the activity; bearer tokens last as long (services.auth.TOKEN_HOURS).
SESSION_HOURS = auth.TOKEN_HOURS


class RecordId(IntegerConverter):
    """`<int:…>` in a route: a record id the database can hold (at most 2³¹−1); a larger number
    is no such page (404), never one the database driver overflows on (500)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", RECORD_ID_MAX)
        super().__init__(map, *args, **kwargs)


def deps() -> Deps:
    """The adapters this app was wired with."""
    return current_app.extensions["hallq"]


def error_response(
    code: str, message: str, message_en: str, status: int, **details: object
) -> Response:
    """The one JSON error shape: {"error", "message" (zh), "message_en"}, and what a refusal
    carries besides (e.g. "missing")."""
    response = jsonify({"error": code, "message": message, "message_en": message_en, **details})
    response.status_code = status
    return response


def queue_error_response(error: QueueError) -> Response:
    """A refused request as JSON with its status code."""
    return error_response(
        error.code,
        error.message,
        error.message_en,
        STATUS.get(error.code, 400),
        **error.details(),
    )


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def current_actor() -> Actor:
    """Who sends this request: a bearer token, a signed-in session, or nobody."""
    if "actor" in g:
        return g.actor
    actor = ANONYMOUS
    token = bearer_token()
    if token is not None:
        found = auth.actor_for_token(deps(), token)
        if found is None:
            raise Unauthorized("登录已失效或令牌无效，请重新登录", "Invalid or expired token")
        actor = found
    elif "clerk_id" in session:
        found = session_actor()
        if found is None:
            session.clear()
        else:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                check_csrf()
            actor = found
    g.actor = actor
    return actor


def session_actor() -> Actor | None:
    """The staff member of this request's session cookie, while its sign-in stands (a cookie
    carries its sign-in's token: signing out or a password change ends it on every process)."""
    if "clerk_id" not in session or signed_in_too_long(deps().clock.now()):
        return None
    return auth.actor_for_session(deps(), session.get("clerk_id"), session.get("token"))


def start_session(signed_in: dict[str, Any]) -> None:
    """Make the session cookie carry a fresh sign-in (a result of `auth.login`)."""
    session.clear()
    session["clerk_id"] = signed_in["clerk"]["id"]
    session["token"] = signed_in["token"]
    session["signed_in_at"] = deps().clock.now().isoformat()
    session.permanent = True


def end_session() -> None:
    """Sign out the session cookie: its sign-in ends on every process, not only here."""
    token = session.get("token")
    if isinstance(token, str) and token:
        auth.logout(deps(), token)
    session.clear()


def signed_in_too_long(now: datetime) -> bool:
    """Whether the session's sign-in is older than SESSION_HOURS (by the hall's clock)."""
    started = session.get("signed_in_at")
    if not started:
        return False
    try:
        at = datetime.fromisoformat(str(started))
    except ValueError:
        return True
    return now - at > timedelta(hours=SESSION_HOURS)


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def check_csrf() -> None:
    """A cookie-signed-in change must carry the session's CSRF token in a header or form."""
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise QueueErrorWithStatus(
            "csrf",
            "页面已过期，请刷新后重试",
            "The page expired (CSRF check); reload and retry",
            403,
        )


class QueueErrorWithStatus(QueueError):
    """A refusal whose code is not in the domain's family (CSRF, rate limits)."""

    def __init__(self, code: str, message: str, message_en: str, status: int) -> None:
        super().__init__(message, message_en)
        self.code = code
        STATUS.setdefault(code, status)


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body is an empty object. Nested deeper than
    MAX_JSON_DEPTH: 400; a NUL or a lone surrogate in any text of it: 422."""
    if not request.get_data(cache=True):
        return {}
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # the JSON parser gives up on "[[[[…" long before the end
        raise too_deep() from None
    if not isinstance(data, dict):
        raise BadRequest("请求体须为 JSON 对象", "The request body must be a JSON object")
    refuse_bad_text(data, max_depth=MAX_JSON_DEPTH)
    return data


# No request needs more than a few levels; the limit keeps every later walk over a body shallow.
MAX_JSON_DEPTH = 32
# NUL (PostgreSQL text cannot hold it) and the UTF-16 surrogate halves (no UTF-8 spelling): a
# JSON body can carry both as \u escapes, a form or an address can carry %00.
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def too_deep() -> BadRequest:
    return BadRequest(
        f"请求体嵌套过深（最多 {MAX_JSON_DEPTH} 层）",
        f"The request body is nested too deeply (at most {MAX_JSON_DEPTH} levels)",
    )


def refuse_bad_text(value: Any, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse (422) any text in `value`, keys included, with a NUL or a lone surrogate; and
    (400) nesting deeper than `max_depth`. Walks without recursion."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _BAD_TEXT.search(item):
                raise InvalidInput(
                    "文字中含有不允许的字符（空字符或不成对的代理字符），请删除后重试",
                    "Text contains a character that is not allowed (NUL or a lone surrogate)",
                )
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                raise too_deep()
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def refuse_bad_text_in_request() -> None:
    """Before every request: the address's parts, query and form fields carry no NUL (a
    JSON body is checked where it is read, `json_body`)."""
    for name, value in (request.view_args or {}).items():
        refuse_bad_text([name, value] if isinstance(value, str) else name)
    for source in (request.args, request.form):
        for key, values in source.lists():
            refuse_bad_text([key, *values])


class BadRequest(InvalidInput):
    """The request cannot be read at all (400)."""

    code = "bad_request"
