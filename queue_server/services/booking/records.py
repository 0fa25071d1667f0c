"""Booking rows: reading and saving them, the places taken in a pool, and what every booking use
case needs of a hall (its zone, its schedule, a bookable item); `bookings_changed` tells the
counters that a day's bookings changed."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ...domain.booking import ACTIVE, HOLDS_A_PLACE, Booking, BookingRule, no_such_booking
from ...domain.errors import Conflict, InvalidInput, NotFound
from ...domain.hours import Schedule
from ...domain.model import Category, Hall, ServiceItem
from ...store import booking_tables as bt
from ..context import Deps
from ..hours import hall_schedule, official_calendar
from ..lookups import load_rules
from ..queue_messages import Outbox
from .rules import rule_for

B = bt.bookings
ACTIVE_VALUES = [s.value for s in ACTIVE]
PLACE_VALUES = [s.value for s in HOLDS_A_PLACE]
BOOKING_FIELDS = [f.name for f in fields(Booking)]


def hall_zone(hall: Hall) -> ZoneInfo:
    return ZoneInfo(hall.timezone)


def bookable_schedule(session: Session, hall: Hall) -> Schedule:
    schedule = hall_schedule(hall, official_calendar(session))
    if schedule is None:
        raise Conflict(
            "本厅尚未设置办公时间，暂不接受预约",
            "This hall has no opening hours set yet, so it takes no bookings",
        )
    return schedule


def _bookable_item(session: Session, hall: Hall, item_id: Any) -> tuple[ServiceItem, Category]:
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        raise InvalidInput("请选择要办理的事项", "Choose the service to book")
    item = session.get(ServiceItem, item_id)
    if item is None or item.hall_id != hall.id or not item.active:
        raise NotFound("本大厅没有该事项", "This hall has no such service item")
    category = session.get(Category, item.category_id) if item.category_id else None
    if category is None or not category.active:
        raise Conflict(
            "该事项暂不接受预约，请到大厅现场办理",
            "This service cannot be booked; please come to the hall",
        )
    return item, category


def row_to_booking(row: Any) -> Booking:
    data = row._mapping
    return Booking(**{name: data[name] for name in BOOKING_FIELDS})


def load_by_code(session: Session, code: str) -> Booking:
    row = session.execute(select(B).where(B.c.code == code)).first()
    if row is None:
        raise no_such_booking()
    return row_to_booking(row)


def load_by_id(session: Session, booking_id: int) -> Booking:
    row = session.execute(select(B).where(B.c.id == booking_id)).first()
    if row is None:
        raise NotFound("找不到该预约", "No such booking")
    return row_to_booking(row)


def save(session: Session, booking: Booking) -> None:
    values = {name: getattr(booking, name) for name in BOOKING_FIELDS if name != "id"}
    session.execute(update(B).where(B.c.id == booking.id).values(**values))


def hall_of_code(deps: Deps, code: str) -> int:
    with deps.db.reading() as session:
        hall_id = session.scalar(select(B.c.hall_id).where(B.c.code == code))
    if hall_id is None:
        raise no_such_booking()
    return int(hall_id)


def hall_of_booking(deps: Deps, booking_id: int) -> int:
    with deps.db.reading() as session:
        hall_id = session.scalar(select(B.c.hall_id).where(B.c.id == booking_id))
    if hall_id is None:
        raise NotFound("找不到该预约", "No such booking")
    return int(hall_id)


def places_taken(
    session: Session, hall_id: int, pool: str, starts: list[datetime]
) -> dict[datetime, int]:
    """Places taken per slot start in one pool."""
    if not starts:
        return {}
    rows = session.execute(
        select(B.c.slot_start, func.count())
        .where(
            B.c.hall_id == hall_id,
            B.c.pool == pool,
            B.c.slot_start.in_(starts),
            B.c.state.in_(PLACE_VALUES),
        )
        .group_by(B.c.slot_start)
    ).all()
    return {start: int(n) for start, n in rows}


def item_context(
    session: Session, hall: Hall, item_id: Any
) -> tuple[ServiceItem, Category, BookingRule, str]:
    item, category = _bookable_item(session, hall, item_id)
    rule, pool = rule_for(load_rules(session, hall.id or 0), item)
    return item, category, rule, pool


def bookings_changed(out: Outbox, booking: Booking) -> None:
    """Tell counter panels that a day's bookings changed (no personal data in the event)."""
    out.add(
        "bookings_changed",
        [f"hall:{booking.hall_id}"],
        {
            "hall": booking.hall_id,
            "date": booking.day.isoformat(),
            "category_id": booking.category_id,
        },
    )
