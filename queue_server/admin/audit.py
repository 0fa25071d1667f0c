"""The audit log (审计日志): who changed what, when, from what to what."""

from __future__ import annotations

from typing import Any

from flask import request

from ..http import deps
from ..services import admin
from .blueprint import bp
from .pages import date_arg, me, page


@bp.get("/audit")
def audit_log() -> Any:
    """审计日志: who changed what, when, from what to what."""
    hall = request.args.get("hall", "")
    action = request.args.get("action", "")[:40]
    page_no = request.args.get("page", "1")
    day = date_arg("day")
    result = admin.audit_entries(
        deps(),
        me(),
        int(hall) if hall.isdigit() else None,
        action,
        int(page_no) if page_no.isdigit() else 1,
        day,
    )
    return page(
        "admin/audit.html",
        hall_id=int(hall) if hall.isdigit() else None,
        result=result,
        args=request.args,
    )
