"""The manager console's front door (/admin): configuration, live monitor, reports, 差评
follow-ups and complaints, each page scoped to the halls the signed-in manager runs (views.py),
and the console's API under /api/v1/admin (api.py).

Pages are server-rendered with plain forms; every form carries the session's CSRF token and
every change goes through a use case of services/admin/ or services/complaints.py, which
checks the hall scope and writes the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, session, url_for

from ..domain.errors import QueueError
from ..http import STATUS, current_actor, deps, signed_in_too_long
from .blueprint import bp

PUBLIC_ENDPOINTS = ("admin.login", "admin.photo", "admin.password")


@bp.before_request
def _require_console() -> Any:
    """Every console page needs a signed-in manager or admin, within their session's life."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if "clerk_id" in session and signed_in_too_long(deps().clock.now()):
        session.clear()
        return redirect(url_for("admin.login", next=request.full_path, expired=1))
    from ..services import access

    actor = current_actor()  # checks the CSRF token of every change made with the cookie
    signed_in = access.has_permission(None, actor, None, "account.self")
    if not signed_in and request.method == "GET":
        return redirect(url_for("admin.login", next=request.full_path))
    access.require_anywhere(actor, "console.use")  # 401 signed out, 403 for counter staff
    return None


@bp.errorhandler(QueueError)
def _refused(error: QueueError) -> Any:
    """A refusal on a console page: the same bilingual message, as a page."""
    status = STATUS.get(error.code, 400)
    return (
        render_template(
            "admin/error.html", message=error.message, message_en=error.message_en, status=status
        ),
        status,
    )


@bp.after_request
def _no_store(response: Any) -> Any:
    """Console pages carry personal and one-time data: never cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


from . import api, cases, views  # noqa: E402,F401  (the routes; cases: the case pages)

__all__ = ["api", "bp"]
