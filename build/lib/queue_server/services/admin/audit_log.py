"""The audit log as the console reads it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ...store import tables
from .. import access, views
from ..context import Actor, Deps

K = tables.clerks


AUDIT_PAGE = 50
ACTOR_NAMES = {"system": "系统", "anonymous": "群众", "device": "设备"}


def audit_entries(
    deps: Deps,
    actor: Actor,
    hall_id: int | None = None,
    action: str = "",
    page: int = 1,
    day: date | None = None,
) -> dict[str, Any]:
    """The audit log the actor may read, newest first, fifty to a page."""
    A = tables.audit_log
    page = max(1, min(page, 10_000))
    with deps.db.reading() as session:
        visible = access.halls_with(session, actor, "report.read")
        query = select(A)
        if hall_id is not None:
            access.require_hall(session, actor, hall_id, "report.read")
            query = query.where(A.c.hall_id == hall_id)
        elif access.has_permission(session, actor, None, "deployment.configure"):
            pass  # entries of no hall (other admins, the holiday schedules) too
        else:
            query = query.where(A.c.hall_id.in_(visible))
        if action:
            query = query.where(A.c.action.startswith(action[:40], autoescape=True))
        if day is not None:
            start = datetime.combine(day, datetime.min.time(), ZoneInfo("Asia/Shanghai"))
            query = query.where(A.c.at >= start, A.c.at < start + timedelta(days=1))
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(
            query.order_by(A.c.id.desc()).offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE)
        ).all()
        clerk_ids = {
            int(r.actor.split(":", 1)[1])
            for r in rows
            if r.actor.startswith("clerk:") and r.actor.split(":", 1)[1].isdigit()
        }
        names = (
            dict(session.execute(select(K.c.id, K.c.name).where(K.c.id.in_(clerk_ids))).all())
            if clerk_ids
            else {}
        )
        hall_names = dict(session.execute(select(tables.halls.c.id, tables.halls.c.name)).all())
        zones = dict(session.execute(select(tables.halls.c.id, tables.halls.c.timezone)).all())
    entries = []
    for row in rows:
        who = row.actor
        if who.startswith("clerk:") and who.split(":", 1)[1].isdigit():
            who = names.get(int(who.split(":", 1)[1]), who)
        else:
            who = ACTOR_NAMES.get(who.split(":", 1)[0], who) + (
                f" {who.split(':', 1)[1]}" if ":" in who else ""
            )
        zone = ZoneInfo(zones.get(row.hall_id) or "Asia/Shanghai")
        detail = dict(row.detail or {})
        before, after = detail.pop("before", None), detail.pop("after", None)
        changes = _changes(before, after)
        entries.append(
            {
                "id": row.id,
                "at": views.iso(row.at),
                "at_local": row.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                "hall_id": row.hall_id,
                "hall": hall_names.get(row.hall_id, ""),
                "actor": row.actor,
                "actor_name": who,
                "action": row.action,
                "subject": row.subject,
                "changes": changes,
                "detail": detail,
            }
        )
    return {
        "entries": entries,
        "page": page,
        "pages": max(1, -(-total // AUDIT_PAGE)),
        "total": total,
    }


def _changes(before: Any, after: Any) -> list[dict[str, Any]]:
    """Field by field: what a change made of each value (only the values that changed)."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        return []
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    keys = list(dict.fromkeys([*before, *after]))
    return [
        {"field": key, "before": before.get(key), "after": after.get(key)}
        for key in keys
        if before.get(key) != after.get(key)
    ]
