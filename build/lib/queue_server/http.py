"""What every HTTP handler shares: the wired adapters, who is asking, and error replies."""

from __future__ import annotations

import hmac
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
    "bad_request": 400,
    "not_found": 404,
    "conflict": 409,
    "full": 409,
    "calendar_year_missing": 409,
    "forbidden": 403,
    "unauthorized": 401,
    "unavailable": 503,
    "too_many": 429,
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


def error_response(code: str, message: str, message_en: str, status: int) -> Response:
    """The one JSON error shape: {"error", "message" (zh), "message_en"}."""
    response = jsonify({"error": code, "message": message, "message_en": message_en})
    response.status_code = status
    return response


def queue_error_response(error: QueueError) -> Response:
    """A refused request as JSON with its status code."""
    return error_response(error.code, error.message, error.message_en, STATUS.get(error.code, 400))


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
        found = None
        if not signed_in_too_long(deps().clock.now()):
            found = auth.actor_for_clerk(deps(), int(session["clerk_id"]))
        if found is None:
            session.clear()
        else:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                check_csrf()
            actor = found
    g.actor = actor
    return actor


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
    """The request's JSON object; an empty body is an empty object."""
    if not request.get_data(cache=True):
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("请求体须为 JSON 对象", "The request body must be a JSON object")
    return data


class BadRequest(InvalidInput):
    """The request cannot be read at all (400)."""

    code = "bad_request"
