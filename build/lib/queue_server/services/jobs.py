"""The deployment's periodic jobs: closing yesterday's queues and watching devices go quiet.

Each is registered with `@periodic` (services/scheduler.py) and run by one process at a time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from ..domain.calendar import HolidayCalendar
from ..domain.model import Hall, Outcome, Ticket, TicketState
from ..domain.numbering import service_day
from ..store import tables
from . import alarms, views
from .context import SYSTEM, Deps, audit
from .hours import official_calendar, open_state
from .queue import Outbox, end_service_record, run
from .scheduler import periodic

T = tables.tickets
D = tables.devices

# Tickets a finished service day may leave behind: nobody will call or come for them now.
LEFT_OVER = (TicketState.WAITING, TicketState.CALLED)


# -- service-day rollover ------------------------------------------------------------------------


@periodic("service_day_rollover", every=timedelta(minutes=1))
def roll_over_service_days(deps: Deps) -> int:
    """Close past days' tickets still waiting (cancelled) or called (no-show), hall by hall,
    each with an audit entry; screens hear of it. Returns how many tickets were closed."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        halls = session.execute(
            select(tables.halls.c.id, tables.halls.c.timezone, tables.halls.c.day_starts_at_minute)
        ).all()
        stale = [
            hall_id
            for hall_id, timezone, day_start in halls
            if session.execute(
                select(T.c.id)
                .where(
                    T.c.hall_id == hall_id,
                    T.c.state.in_(LEFT_OVER),
                    T.c.service_day < service_day(now, timezone, day_start),
                )
                .limit(1)
            ).first()
        ]
    return sum(run(deps, hall_id, _close_past_days) for hall_id in stale)


def _close_past_days(out: Outbox) -> int:
    tickets = out.session.scalars(
        select(Ticket)
        .where(
            T.c.hall_id == out.hall.id,
            T.c.state.in_(LEFT_OVER),
            T.c.service_day < views.today(out.hall, out.now),
        )
        .order_by(T.c.id)
    ).all()
    for ticket in tickets:
        before = ticket.state
        events = ticket.expire(out.now)
        if ticket.state == TicketState.NO_SHOW:
            end_service_record(out.session, ticket, out.now, Outcome.NO_SHOW)
        audit(
            out.session,
            at=out.now,
            actor=SYSTEM,
            action="ticket.day_closed",
            hall_id=out.hall.id,
            subject=ticket.number,
            detail={
                "ticket": ticket.id,
                "service_day": ticket.service_day.isoformat(),
                "from": before.value,
                "to": ticket.state.value,
            },
        )
        out.record(events)
    return len(tickets)


# -- device health -------------------------------------------------------------------------------

DEVICE_OFFLINE = "device_offline"
# A device that has not been in touch this long, while its hall is open, raises an alarm.
OFFLINE_AFTER = timedelta(minutes=10)
# How often a device's contact is written down (not on every request).
SEEN_EVERY = timedelta(minutes=1)

DEVICE_NAMES = {
    "kiosk": ("自助取号机", "Kiosk"),
    "printer": ("打印机", "Printer"),
    "board": ("窗口条屏", "Window board"),
    "evaluator": ("评价器", "Evaluator"),
    "screen": ("显示屏", "Screen"),
}


def note_device_seen(deps: Deps, device_id: int, last_seen_at: datetime | None) -> None:
    """A device was just in touch (its token was used): write it down at most once a minute."""
    now = deps.clock.now()
    if last_seen_at is not None and now - last_seen_at < SEEN_EVERY:
        return
    with deps.db.transaction() as session:
        session.execute(update(D).where(D.c.id == device_id).values(last_seen_at=now))


@periodic("device_health", every=timedelta(minutes=1))
def check_device_health(deps: Deps) -> dict[str, int]:
    """Raise an alarm for each device quiet for `OFFLINE_AFTER` while its hall is open; clear
    it once the device is back. Devices never seen (not set up yet) are left alone."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        devices = session.execute(
            select(D.c.id, D.c.hall_id, D.c.kind, D.c.name, D.c.last_seen_at).where(
                D.c.last_seen_at.is_not(None)
            )
        ).all()
        alarmed = {
            (row.hall_id, row.device_id)
            for row in session.execute(
                select(tables.alarms.c.hall_id, tables.alarms.c.device_id).where(
                    tables.alarms.c.kind == DEVICE_OFFLINE, tables.alarms.c.cleared_at.is_(None)
                )
            )
        }
        calendar = official_calendar(session)
        serving = {
            hall.id: _serving(hall, now, calendar)
            for hall in session.scalars(
                select(Hall).where(tables.halls.c.id.in_({d.hall_id for d in devices}))
            )
        }
    raised = cleared = 0
    for device in devices:
        quiet = now - device.last_seen_at
        if quiet < OFFLINE_AFTER:
            if (device.hall_id, device.id) in alarmed:
                cleared += alarms.clear_alarms(deps, device.hall_id, DEVICE_OFFLINE, device.id)
            continue
        if (device.hall_id, device.id) in alarmed or not serving.get(device.hall_id):
            continue  # already told, or the hall is closed and its devices may be off
        alarms.raise_alarm(deps, device.hall_id, DEVICE_OFFLINE, *_offline_text(device, quiet))
        raised += 1
    return {"raised": raised, "cleared": cleared}


def _serving(hall: Hall, now: datetime, calendar: HolidayCalendar) -> bool:
    state = open_state(hall, now, calendar)
    return state.open or state.appointment_only


def _offline_text(device: Any, quiet: timedelta) -> tuple[str, str, int, dict[str, Any]]:
    zh, en = DEVICE_NAMES.get(device.kind, ("设备", "Device"))
    minutes = int(quiet.total_seconds() // 60)
    return (
        f"{zh}「{device.name}」已 {minutes} 分钟没有联系服务器，请检查电源和网络",
        f"{en} '{device.name}' has not been in touch for {minutes} minutes; "
        "check its power and network",
        device.id,
        {"last_seen_at": views.iso(device.last_seen_at), "kind": device.kind},
    )
