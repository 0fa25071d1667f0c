"""The deployment's periodic jobs: ending each hall's day (日终) and watching devices go quiet.

Each is registered with `@periodic` (services/scheduler.py) and run by one process at a time.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ..domain.calendar import HolidayCalendar
from ..domain.model import Hall, Outcome, Ticket, TicketState, Window, WindowStatus
from ..store import tables
from . import alarms, views
from .context import SYSTEM, Deps, audit
from .hours import last_day_end, official_calendar, open_state
from .queue import end_service_record
from .queue_messages import Outbox
from .scheduler import periodic
from .unit_of_work import run, unit_of_work

T = tables.tickets
W = tables.windows
D = tables.devices

# Tickets a finished day may leave behind: nobody will call, serve or come back for them now.
LEFT_OVER = (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING, TicketState.HELD)
AT_WINDOW = (TicketState.CALLED, TicketState.SERVING, TicketState.HELD)


# -- day end (日终) -------------------------------------------------------------------------------


@periodic("day_end", every=timedelta(minutes=1))
def end_days(deps: Deps) -> dict[str, int]:
    """日终, hall by hall: once the day's last session is over plus the hall's grace
    (`Hall.day_end_grace`), or a new service day has begun, close every window nobody put
    into service since (its clerk signed out), and settle the tickets the day left open
    (`Ticket.end_of_day`). Each step is audited as the system's; screens hear of it. Counts
    of windows and tickets closed."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        calendar = official_calendar(session)
        due = [
            hall.id or 0
            for hall in session.scalars(select(Hall))
            if _day_end_due(session, hall, now, calendar)
        ]
    closed = {"windows": 0, "tickets": 0}
    for hall_id in due:
        done = run(deps, hall_id or 0, _end_day)
        closed["windows"] += done["windows"]
        closed["tickets"] += done["tickets"]
    return closed


def _windows_to_close(hall: Hall, now: datetime, ended: datetime) -> Any:
    """The hall's windows in service that nobody put into service since its day ended."""
    today = views.today(hall, now)
    return select(Window).where(
        W.c.hall_id == hall.id,
        W.c.status != WindowStatus.CLOSED,
        or_(
            W.c.opened_at.is_(None),
            W.c.opened_at < ended,
            W.c.opened_at < _day_start(hall, today),
        ),
    )


def _day_start(hall: Hall, day: Any) -> datetime:
    local = datetime.combine(day, time(), tzinfo=ZoneInfo(hall.timezone))
    return local + timedelta(minutes=hall.day_starts_at_minute)


def _tickets_to_settle(hall: Hall, now: datetime, ended: datetime, open_windows: Any) -> Any:
    """Past days' open tickets; today's waiting ones taken before the day ended; the ones at
    a window that is no longer in service."""
    today = views.today(hall, now)
    return select(Ticket).where(
        T.c.hall_id == hall.id,
        T.c.state.in_(LEFT_OVER),
        or_(
            T.c.service_day < today,
            and_(T.c.state == TicketState.WAITING, T.c.issued_at < ended),
            and_(
                T.c.state.in_(AT_WINDOW),
                or_(T.c.window_id.is_(None), T.c.window_id.not_in(open_windows)),
            ),
        ),
    )


def _open_windows(hall: Hall) -> Any:
    return select(W.c.id).where(W.c.hall_id == hall.id, W.c.status != WindowStatus.CLOSED)


def _day_end_due(session: Session, hall: Hall, now: datetime, calendar: HolidayCalendar) -> bool:
    ended = last_day_end(hall, now, calendar)
    if session.execute(_windows_to_close(hall, now, ended).limit(1)).first():
        return True
    query = _tickets_to_settle(hall, now, ended, _open_windows(hall))
    return session.execute(query.limit(1)).first() is not None


def _end_day(out: Outbox) -> dict[str, int]:
    hall, now, session = out.hall, out.now, out.session
    ended = last_day_end(hall, now, official_calendar(session))
    windows = session.scalars(_windows_to_close(hall, now, ended).order_by(W.c.number))
    closed_windows = 0
    for window in windows.all():
        clerk_id = window.active_clerk_id
        detail = {"window": window.id, "status": window.status.value, "clerk": clerk_id}
        out.record(window.close())
        audit(
            session,
            at=now,
            actor=SYSTEM,
            action="window.day_closed",
            hall_id=hall.id,
            subject=str(window.number),
            detail={**detail, "opened_at": views.iso(window.opened_at)},
        )
        if clerk_id is not None:
            audit(
                session,
                at=now,
                actor=SYSTEM,
                action="window.sign_out",
                hall_id=hall.id,
                subject=str(window.number),
                detail={"window": window.id, "clerk": clerk_id, "reason": "day_end"},
            )
        closed_windows += 1
    session.flush()
    tickets = session.scalars(
        _tickets_to_settle(hall, now, ended, _open_windows(hall)).order_by(T.c.id)
    ).all()
    for ticket in tickets:
        before = ticket.state
        events = ticket.end_of_day(now)
        if before in AT_WINDOW:
            outcome = ticket.outcome or Outcome.NO_SHOW
            end_service_record(session, ticket, now, outcome)
        audit(
            session,
            at=now,
            actor=SYSTEM,
            action="ticket.day_closed",
            hall_id=hall.id,
            subject=ticket.number,
            detail={
                "ticket": ticket.id,
                "service_day": ticket.service_day.isoformat(),
                "from": before.value,
                "to": ticket.state.value,
            },
        )
        out.record(events)
    return {"windows": closed_windows, "tickets": len(tickets)}


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
    with unit_of_work(deps) as uow:
        session = uow.session
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
