"""Bookings for staff: the counter's list of today's bookings, a hall's bookings, the bookings
an agent made, and home visits (上门服务) given to a clerk and closed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.booking import (
    Booking,
    BookingKind,
    BookingPolicy,
    BookingState,
    parse_home_visit_outcome,
)
from ...domain.errors import InvalidInput, NotFound
from ...domain.model import Category, Hall, ServiceItem, Ticket, Window
from .. import access, lookups, views
from ..context import Actor, Deps, audit
from ..notify import Notice, Notifier
from ..queue_messages import Outbox
from ..schedule import parse_day
from ..unit_of_work import run
from .citizen import parse_kind, parse_note
from .notices import hall_names, notice_to, send
from .records import PLACE_VALUES, B, hall_of_booking, hall_zone, load_by_id, row_to_booking, save
from .rules import load_policy
from .view import booking_view, check_in_span, citizen_view, local_iso


def window_bookings(deps: Deps, actor: Actor, window_id: int) -> dict[str, Any]:
    """Today's bookings for the categories a window serves, earliest first (posted clerk)."""
    with deps.db.reading() as session:
        window = session.get(Window, window_id)
        if window is None:
            raise NotFound("找不到该窗口", "No such window")
        access.require(session, actor, window.hall_id, "window.operate", window=window)
        hall = views.get_hall(session, window.hall_id)
        now = deps.clock.now()
        today = views.today(hall, now)
        query = select(B).where(
            B.c.hall_id == hall.id,
            B.c.day == today,
            B.c.kind == BookingKind.APPOINTMENT,
            B.c.state.in_(PLACE_VALUES),
        )
        if window.category_ids:
            query = query.where(B.c.category_id.in_(window.category_ids))
        policy = load_policy(session, hall.id or 0)
        rows = session.execute(query.order_by(B.c.slot_start, B.c.id)).all()
        entries = [counter_entry(session, row_to_booking(row), hall, policy, now) for row in rows]
        return {
            "window": views.window_brief(window),
            "date": today.isoformat(),
            "bookings": entries,
            "counts": {
                "booked": sum(1 for e in entries if e["state"] == BookingState.BOOKED),
                "checked_in": sum(1 for e in entries if e["state"] == BookingState.CHECKED_IN),
            },
        }


def counter_entry(
    session: Session, booking: Booking, hall: Hall, policy: BookingPolicy, now: datetime
) -> dict[str, Any]:
    """One line of the counter's booking list: time, service, masked citizen, status."""
    zone = hall_zone(hall)
    item = session.get(ServiceItem, booking.service_item_id)
    category = session.get(Category, booking.category_id) if booking.category_id else None
    span = check_in_span(booking, policy)
    assert span is not None and booking.slot_start is not None and booking.slot_end is not None
    if booking.state == BookingState.CHECKED_IN:
        status, zh, en = "checked_in", "已签到", "Checked in"
        if booking.late:
            status, zh, en = "checked_in_late", "迟到签到（普通号）", "Checked in late (ordinary)"
    elif now < span[0]:
        status, zh, en = "upcoming", "待签到", "Not yet due"
    elif now <= span[1]:
        status, zh, en = "due", "可签到", "Due now"
    else:
        status, zh, en = "overdue", "已过签到时间", "Past check-in time"
    ticket = session.get(Ticket, booking.ticket_id) if booking.ticket_id else None
    return {
        "id": booking.id,
        "time": f"{booking.slot_start.astimezone(zone):%H:%M}–{booking.slot_end.astimezone(zone):%H:%M}",
        "start": local_iso(booking.slot_start, zone),
        "state": booking.state.value,
        "status": status,
        "status_name": zh,
        "status_name_en": en,
        "item": {"id": item.id, "name": item.name, "name_en": item.name_en} if item else None,
        "category": {"id": category.id, "prefix": category.prefix, "name": category.name}
        if category
        else None,
        "citizen": citizen_view(booking),
        "proxy": booking.proxy,
        "ticket": {"number": ticket.number, "state": ticket.state.value} if ticket else None,
    }


def hall_bookings(
    deps: Deps, actor: Actor, hall_id: int, day: Any = None, kind: Any = None, state: Any = None
) -> dict[str, Any]:
    """A day's bookings of a hall for staff (masked), optionally of one kind or state."""
    with deps.db.reading() as session:
        hall = views.get_hall(session, hall_id)
        access.require(session, actor, hall, "booking.staff")
        query = select(B).where(B.c.hall_id == hall_id)
        if day not in (None, ""):
            query = query.where(B.c.day == parse_day(day))
        if kind not in (None, ""):
            query = query.where(B.c.kind == parse_kind(kind))
        if state not in (None, ""):
            try:
                query = query.where(B.c.state == BookingState(state))
            except ValueError:
                raise InvalidInput("未知的预约状态", "Unknown booking state") from None
        policy = load_policy(session, hall_id)
        rows = session.execute(query.order_by(B.c.day, B.c.slot_start, B.c.id).limit(500)).all()
        return {
            "bookings": [
                booking_view(session, row_to_booking(r), hall, policy, staff=True) for r in rows
            ]
        }


def my_bookings(deps: Deps, actor: Actor) -> dict[str, Any]:
    """The bookings a village agent (or any member of staff) made on citizens' behalf."""
    access.require_anywhere(actor, "account.self")
    with deps.db.reading() as session:
        rows = session.execute(
            select(B)
            .where(B.c.agent_id == actor.id)
            .order_by(B.c.day.desc(), B.c.id.desc())
            .limit(200)
        ).all()
        result = []
        for row in rows:
            booking = row_to_booking(row)
            hall = views.get_hall(session, booking.hall_id)
            policy = load_policy(session, hall.id or 0)
            # The agent relays the code to the citizen, so they see it.
            result.append(
                booking_view(session, booking, hall, policy, include_code=True, staff=True)
            )
        return {"bookings": result}


def assign_home_visit(
    deps: Deps, actor: Actor, booking_id: int, clerk: Any, notifier: Notifier | None = None
) -> dict[str, Any]:
    """A manager gives a home visit (上门服务) to a clerk of the hall."""

    def work(out: Outbox) -> tuple[dict[str, Any], Notice | None]:
        s, hall = out.session, out.hall
        access.require(s, actor, hall, "booking.configure")
        booking = load_by_id(s, booking_id)
        chosen = lookups.find_clerk(s, hall, clerk, or_town=True)
        booking.assign(chosen.id or 0, out.now)
        save(s, booking)
        audit(s, at=out.now, actor=actor, action="home_visit.assign", hall_id=hall.id,
              subject=f"booking {booking.id}", detail={"clerk": chosen.id})  # fmt: skip
        policy = load_policy(s, hall.id or 0)
        view = booking_view(s, booking, hall, policy, staff=True)
        item = s.get(ServiceItem, booking.service_item_id)
        zh_hall, en_hall = hall_names(hall)
        notice = notice_to(
            hall,
            booking,
            "home_visit",
            f"【{zh_hall}】您申请的上门服务（{item.name if item else ''}）已安排工作人员"
            f"{chosen.name}办理，请保持电话畅通。",
            f"{en_hall}: your home visit ({(item.name_en or item.name) if item else ''}) is "
            f"assigned to {chosen.name}; please keep your phone on.",
        )
        return view, notice

    view, notice = run(deps, hall_of_booking(deps, booking_id), work)
    send(deps, notifier, notice)
    return view


def close_home_visit(
    deps: Deps, actor: Actor, booking_id: int, outcome: Any, note: Any = ""
) -> dict[str, Any]:
    """The home visit is over: its outcome (manager, or the clerk it was assigned to)."""
    result = parse_home_visit_outcome(outcome)
    text = parse_note(note)

    def work(out: Outbox) -> dict[str, Any]:
        s, hall = out.session, out.hall
        booking = load_by_id(s, booking_id)
        access.require(s, actor, hall, "home_visit.close", assignee=booking.assigned_clerk_id)
        booking.close(result, text, out.now)
        save(s, booking)
        audit(s, at=out.now, actor=actor, action="home_visit.close", hall_id=hall.id,
              subject=f"booking {booking.id}", detail={"outcome": result.value})  # fmt: skip
        return booking_view(s, booking, hall, load_policy(s, hall.id or 0), staff=True)

    return run(deps, hall_of_booking(deps, booking_id), work)
