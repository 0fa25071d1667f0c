"""Booked days that became holidays when the year's official schedule arrived: the list for
managers to follow up, and the one-time notice asking each citizen to move."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...domain.booking import Booking, BookingKind
from ...domain.hours import Schedule
from ...domain.model import Hall
from ...store import calendar_tables as ct
from ..context import Deps
from ..hours import hall_schedule, official_calendar
from ..notify import Notifier
from ..unit_of_work import unit_of_work
from .notices import holiday_move_notice, send
from .records import PLACE_VALUES, B, hall_zone, row_to_booking
from .view import citizen_view, local_iso, when_text


def _on_closed_day(
    session: Session, after: datetime, halls: set[int] | None = None, year: int | None = None
) -> list[tuple[Booking, Hall, str, str]]:
    """Appointments starting after `after` that now fall on an official public holiday on which
    the hall holds no session at their time: with the hall and the holiday's names."""
    calendar = official_calendar(session)
    query = select(B).where(
        B.c.kind == BookingKind.APPOINTMENT,
        B.c.state.in_(PLACE_VALUES),
        B.c.slot_start > after,
    )
    if year is not None:
        query = query.where(B.c.day >= date(year, 1, 1), B.c.day <= date(year, 12, 31))
    if halls is not None:
        query = query.where(B.c.hall_id.in_(halls))
    found: list[tuple[Booking, Hall, str, str]] = []
    schedules: dict[int, tuple[Hall, Schedule | None]] = {}
    for row in session.execute(query.order_by(B.c.slot_start, B.c.id)):
        booking = row_to_booking(row)
        assert booking.slot_start is not None
        if not calendar.is_official(booking.day.year):
            continue
        holiday = calendar.public_holiday(booking.day)
        if holiday is None:
            continue  # a working day, or a plain weekend the hall chose to serve or not
        if booking.hall_id not in schedules:
            hall = session.get(Hall, booking.hall_id)
            assert hall is not None
            schedules[booking.hall_id] = (hall, hall_schedule(hall, calendar))
        hall, schedule = schedules[booking.hall_id]
        if schedule is None:
            continue
        local = schedule.local_time(booking.slot_start)
        if any(s.covers(local.time()) for s in schedule.sessions_on(booking.day)):
            continue  # the hall holds a session that day (a holiday session or an override)
        found.append((booking, hall, holiday.name_zh, holiday.name_en))
    return found


def bookings_on_holidays(
    deps: Deps, year: int, halls: set[int] | None = None
) -> list[dict[str, Any]]:
    """The year's appointments still to come that fall on a day the official schedule made a
    holiday, for managers to follow up: masked citizen, when, the holiday, when told to move."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        listed = []
        for booking, hall, name, name_en in _on_closed_day(session, now, halls, year):
            notified = session.scalar(
                select(ct.holiday_notices.c.notified_at).where(
                    ct.holiday_notices.c.booking_id == booking.id,
                    ct.holiday_notices.c.day == booking.day,
                )
            )
            when_zh, when_en = when_text(booking, hall_zone(hall))
            listed.append(
                {
                    "id": booking.id,
                    "hall": {"id": hall.id, "name": hall.name},
                    "day": booking.day.isoformat(),
                    "when": when_zh,
                    "when_en": when_en,
                    "holiday": name,
                    "holiday_en": name_en,
                    "citizen": citizen_view(booking),
                    "notified_at": local_iso(notified, hall_zone(hall)) if notified else None,
                }
            )
    return listed


def notify_holiday_moves(deps: Deps, notifier: Notifier | None = None) -> int:
    """Tell each citizen whose appointment now falls on an official holiday to move it, once:
    the notice row is claimed before the message goes out. Returns how many were told."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        pending = [
            (booking, hall.id, name, holiday_move_notice(hall, booking, name, name_en))
            for booking, hall, name, name_en in _on_closed_day(session, now)
        ]
    told = 0
    for booking, hall_id, name, notice in pending:
        try:
            with unit_of_work(deps) as uow:
                session = uow.session
                session.execute(
                    insert(ct.holiday_notices).values(
                        booking_id=booking.id,
                        day=booking.day,
                        hall_id=hall_id,
                        holiday=name[:40],
                        notified_at=now,
                    )
                )
        except IntegrityError:
            continue  # told already (by this process or another)
        send(deps, notifier, notice)
        told += 1
    return told
