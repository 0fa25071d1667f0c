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
from flask.blueprints import BlueprintSetupState

from ..domain.errors import QueueError
from ..domain.evaluation import LEVELS_NEEDING_REASON
from ..http import STATUS, current_actor, deps, signed_in_too_long
from ..services import admin as admin_service
from ..services import complaints
from ..services.bus import Message
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


def _follow_bus(state: BlueprintSetupState) -> None:
    """Wire the console's listeners to this app's bus once."""
    app: Any = state.app
    hallq = app.extensions["hallq"]
    watch = admin_service.FlexibleWatch(hallq)

    def on_messages(batch: list[Message]) -> None:
        watch.on_messages(batch)
        rated = {
            int(m.payload.get("hall") or m.room.split(":", 1)[1])
            for m in batch
            if m.event == "ticket_evaluated"
            and m.room.startswith("hall:")
            and m.payload.get("level") in LEVELS_NEEDING_REASON
        }
        if rated:
            complaints.open_follow_ups(hallq, rated)
        if any(m.event == "devices_changed" for m in batch):
            workers = app.extensions.get("hallq_devices")
            if workers is not None:
                workers.reload()  # LED boards and keypads follow their new windows and ports

    hallq.bus.subscribe(on_messages)


bp.record_once(_follow_bus)

from . import api, views  # noqa: E402,F401  (the routes)

__all__ = ["api", "bp"]
