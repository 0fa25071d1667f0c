"""Device alarms: a printer out of paper, a board unplugged. They warn; they never block."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from ..store import tables
from .bus import Message
from .context import Deps
from .unit_of_work import unit_of_work
from .views import iso

A = tables.alarms


def raise_alarm(
    deps: Deps,
    hall_id: int,
    kind: str,
    message: str,
    message_en: str,
    device_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Record an alarm (or keep the open one of the same kind and device) and announce it."""
    now = deps.clock.now()
    with unit_of_work(deps) as uow:
        session = uow.session
        existing = session.scalar(
            select(A.c.id).where(
                A.c.hall_id == hall_id,
                A.c.kind == kind,
                A.c.device_id.is_(None) if device_id is None else A.c.device_id == device_id,
                A.c.cleared_at.is_(None),
            )
        )
        if existing is not None:
            return int(existing)
        alarm_id = session.execute(
            insert(A)
            .values(
                hall_id=hall_id,
                kind=kind,
                device_id=device_id,
                message=message[:200],
                message_en=message_en[:300],
                raised_at=now,
                detail=detail or {},
            )
            .returning(A.c.id)
        ).scalar_one()
        payload = {
            "id": alarm_id,
            "kind": kind,
            "device_id": device_id,
            "message": message,
            "message_en": message_en,
            "raised_at": iso(now),
        }
        uow.publish([Message("alarm", f"hall:{hall_id}", payload)])
    return int(alarm_id)


def clear_alarms(deps: Deps, hall_id: int, kind: str, device_id: int | None = None) -> int:
    """Close the open alarms of a kind (the device recovered); returns how many."""
    now = deps.clock.now()
    with unit_of_work(deps) as uow:
        session = uow.session
        result = session.execute(
            update(A)
            .where(
                A.c.hall_id == hall_id,
                A.c.kind == kind,
                A.c.device_id.is_(None) if device_id is None else A.c.device_id == device_id,
                A.c.cleared_at.is_(None),
            )
            .values(cleared_at=now)
        )
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            payload = {"kind": kind, "device_id": device_id}
            uow.publish([Message("alarm_cleared", f"hall:{hall_id}", payload)])
    return count


def open_alarms(deps: Deps, hall_id: int) -> list[dict[str, Any]]:
    """The hall's alarms not yet cleared, newest first."""
    with deps.db.reading() as session:
        rows = session.execute(
            select(A)
            .where(A.c.hall_id == hall_id, A.c.cleared_at.is_(None))
            .order_by(A.c.id.desc())
        ).all()
    return [
        {
            "id": row.id,
            "kind": row.kind,
            "device_id": row.device_id,
            "message": row.message,
            "message_en": row.message_en,
            "raised_at": iso(row.raised_at),
        }
        for row in rows
    ]
