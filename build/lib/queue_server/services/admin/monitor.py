"""The live monitor: every window of a hall on one page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...domain.model import Category, Clerk, ServiceItem, Ticket, TicketState
from ...store import tables
from .. import access, alarms, views
from ..context import Actor, Deps
from .categories import hall_categories
from .devices import device_views
from .items import service_targets
from .windows import window_posts, window_type_view

K = tables.clerks


def _target_minutes(session: Session, ticket: Ticket, categories: dict[int, Category]) -> int:
    if ticket.service_item_id is not None:
        target = service_targets(session, [ticket.service_item_id]).get(ticket.service_item_id)
        if target is not None:
            return target
    category = categories.get(ticket.category_id)
    return category.default_service_minutes if category else 6


def monitor_snapshot(deps: Deps, actor: Actor, hall_id: int) -> dict[str, Any]:
    """All windows of a hall on one page: status, clerk, current ticket and how long it has been
    served against its target, queues with estimated waits, device health, open alarms."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        hall = access.require_hall(session, actor, hall_id, "report.read")
        status = views.QueueStatus(session, hall, now)
        categories = {c.id or 0: c for c in hall_categories(session, hall_id)}
        clerks = {c.id: c for c in session.scalars(select(Clerk).where(K.c.hall_id == hall_id))}
        served_today: dict[Any, int] = dict(
            session.execute(
                select(tables.tickets.c.window_id, func.count())
                .where(
                    tables.tickets.c.hall_id == hall_id,
                    tables.tickets.c.service_day == views.today(hall, now),
                    tables.tickets.c.state == TicketState.DONE,
                )
                .group_by(tables.tickets.c.window_id)
            ).all()
        )
        devices = device_views(session, hall_id, now)
        windows = []
        for window in status.windows:
            current = session.scalars(
                select(Ticket)
                .where(
                    tables.tickets.c.window_id == window.id,
                    tables.tickets.c.state.in_([TicketState.CALLED, TicketState.SERVING]),
                )
                .limit(1)
            ).first()
            clerk = clerks.get(window.active_clerk_id) if window.active_clerk_id else None
            posts = window_posts(session, window.id or 0)
            current_view = None
            if current is not None:
                target = _target_minutes(session, current, categories)
                item = (
                    session.get(ServiceItem, current.service_item_id)
                    if current.service_item_id
                    else None
                )
                category = categories.get(current.category_id)
                since = current.started_at or current.called_at
                elapsed = (now - since).total_seconds() if since else 0
                current_view = {
                    "number": current.number,
                    "state": current.state.value,
                    "category": category.name if category else "",
                    "item": item.name if item else "",
                    "called_at": views.iso(current.called_at),
                    "started_at": views.iso(current.started_at),
                    "serving_seconds": int(elapsed) if current.started_at else None,
                    "target_minutes": target,
                    "over_target": current.started_at is not None and elapsed > target * 60,
                }
            windows.append(
                {
                    "id": window.id,
                    "number": window.number,
                    "name": window.name,
                    **window_type_view(window),
                    "status": window.status.value,
                    "pause_reason": window.pause_reason,
                    "clerk": {"name": clerk.name, "staff_no": clerk.staff_no} if clerk else None,
                    "post_a": clerks[posts["A"]].name if posts.get("A") in clerks else None,
                    "post_b": clerks[posts["B"]].name if posts.get("B") in clerks else None,
                    "current": current_view,
                    "served_today": int(served_today.get(window.id, 0)),
                    "devices": [d for d in devices if d["window_id"] == window.id],
                }
            )
        queue = [
            {**c, "over_target": c["estimated_wait_minutes"] > c["target_wait_minutes"]}
            for c in status.categories_view()
        ]
        today = views.count_today(session, hall, now)
        result = {
            "hall": {**views.hall_view(hall)},
            "service_day": views.today(hall, now).isoformat(),
            "windows": windows,
            "categories": queue,
            "devices": devices,
            "today": today,
            "server_time": views.iso(now),
        }
    result["alarms"] = alarms.open_alarms(deps, hall_id)
    return result
