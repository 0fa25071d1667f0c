"""The clerk's counter panel (/counter): sign in, choose a window, then call and serve."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from ...http import csrf_token, session_actor

bp = Blueprint("counter", __name__)

# The panel's keyboard shortcuts: a clerk on a numeric keypad never looks for the mouse.
SHORTCUTS = [
    ("call-next", "1", "叫下一位", "Call next"),
    ("recall", "2", "重呼", "Recall"),
    ("start", "3", "开始办理", "Start"),
    ("finish", "4", "办结", "Finish"),
    ("no-show", "5", "过号", "No-show"),
    ("hold", "6", "暂离", "Hold"),
    ("transfer", "7", "转移", "Transfer"),
    ("pause", "8", "暂停服务", "Pause"),
]


@bp.get("/counter")
@bp.get("/counter/<int:window>")
def panel(window: int | None = None) -> Any:
    """The panel page; the signed-in clerk's session cookie carries every action."""
    me = None
    actor = session_actor()
    if actor is not None:
        me = {"id": actor.id, "name": actor.name}
    return render_template(
        "counter/panel.html",
        me=me,
        csrf=csrf_token() if me else "",
        window_id=window,
        shortcuts=SHORTCUTS,
    )
