"""The JSON API under /api/v1: its blueprint, the route declarations every front door uses
(`documented`, the path parts, the validated `body()`), the OpenAPI document and the API's JSON
errors.

The routes themselves live in the front doors (kiosk/api.py, display/api.py,
queue_server/web/<capability>/api.py, queue_server/admin/api.py): the app factory imports every
door before it mounts this blueprint (see queue_server/app.py, FRONT_DOORS).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..domain.errors import QueueError
from ..http import error_response, queue_error_response
from ..services.kiosk import MAX_QUERY
from .models import NoFields
from .spec import Param, documented, openapi_document

__all__ = [
    "EMPTY",
    "HALL",
    "PREFIX",
    "SEARCH",
    "WINDOW",
    "api",
    "body",
    "documented",
    "init_app",
]

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
EMPTY = NoFields


def body() -> dict[str, Any]:
    """The validated JSON body of this request."""
    return g.body


@api.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3 document, generated from the routes' declarations."""
    return jsonify(openapi_document(current_app, PREFIX))


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
