"""投诉处理 and 差评 follow-ups.

Every 差评 (the two lowest 好差评 levels) opens a follow-up: verify (核实), rectify (整改), call
the citizen back (回访), close — due within 15 working days of the rating by the official
calendar; one still open after its due day, or closed after it, is overdue.

A complaint is registered against a ticket, a window or a clerk (or the hall as a whole), given
to someone to handle with a deadline, and resolved as upheld (属实) or not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain.calendar import CalendarYearMissing, HolidayCalendar, ProvisionalYear, TableCalendar
from ..domain.errors import Conflict, NotFound
from ..domain.evaluation import EVALUATION_REASONS, LEVELS_NEEDING_REASON, level_for_code
from ..domain.model import Clerk, Hall, Role, Ticket, Window
from ..domain.reports import subtree
from ..store import admin_tables, tables
from . import access, hours, views
from .admin.change import changing
from .admin.fields import FieldSpec, clean, field_error
from .context import SYSTEM, Actor, Deps, audit
from .scheduler import periodic
from .unit_of_work import unit_of_work

F = admin_tables.follow_ups
CP = admin_tables.complaints
E = tables.evaluations
T = tables.tickets

FOLLOW_UP_WORKING_DAYS = 15
STAGES = ("verify", "rectify", "callback", "closed")
STAGE_NAMES = {
    "verify": ("核实", "Verify"),
    "rectify": ("整改", "Rectify"),
    "callback": ("回访", "Call back"),
    "closed": ("已办结", "Closed"),
}
CHANNELS = (
    ("walk_in", "现场", "In person"),
    ("phone", "电话", "Phone"),
    ("hotline", "12345 热线", "12345 hotline"),
    ("online", "网上", "Online"),
    ("letter", "信件", "Letter"),
)
COMPLAINT_STATUS_NAMES = {
    "open": ("待分派", "Not assigned"),
    "assigned": ("处理中", "Being handled"),
    "resolved": ("已办结", "Resolved"),
}

STEP_FIELDS = (
    FieldSpec(
        "stage",
        "环节",
        "Stage",
        "choice",
        required=True,
        choices=tuple((s, *STAGE_NAMES[s]) for s in STAGES[:-1]),
    ),  # fmt: skip
    FieldSpec("note", "办理情况", "What was done", "textarea", required=True, max_len=1000),
)
COMPLAINT_FIELDS = (
    FieldSpec("channel", "投诉渠道", "Channel", "choice", required=True, choices=CHANNELS),
    FieldSpec(
        "summary", "投诉内容", "What the complaint says", "textarea", required=True, max_len=2000
    ),
    FieldSpec(
        "contact",
        "投诉人及联系方式",
        "Citizen and contact",
        max_len=80,
        help_zh="用于回复投诉人，仅管理员可见",
        help_en="To answer the citizen; managers only",
    ),
    FieldSpec(
        "ticket_number",
        "涉及号码",
        "Ticket number",
        max_len=8,
        help_zh="如 A003，可不填",
        help_en="e.g. A003, optional",
    ),  # fmt: skip
    FieldSpec("ticket_day", "取号日期", "Day of the ticket", "date", nullable=True),
    FieldSpec("window_id", "涉及窗口", "Window", "ref"),
    FieldSpec("clerk_id", "涉及工作人员", "Clerk", "ref"),
    FieldSpec("assignee_id", "承办人", "Handled by", "ref"),
    FieldSpec(
        "due_on",
        "办结期限",
        "Due on",
        "date",
        nullable=True,
        help_zh="不填则为 15 个工作日后",
        help_en="Empty: 15 working days from today",
    ),  # fmt: skip
)
ASSIGN_FIELDS = (
    FieldSpec("assignee_id", "承办人", "Handled by", "ref", required=True),
    FieldSpec("due_on", "办结期限", "Due on", "date", nullable=True),
)
RESOLVE_FIELDS = (
    FieldSpec("resolution", "处理结果", "Resolution", "textarea", required=True, max_len=2000),
    FieldSpec("upheld", "投诉属实", "The complaint was upheld", "bool", required=True),
)


def hall_today(hall: Hall, now: datetime) -> date:
    """The hall's local date."""
    return now.astimezone(ZoneInfo(hall.timezone)).date()


def due_after(
    start: date, days: int = FOLLOW_UP_WORKING_DAYS, *, calendar: HolidayCalendar
) -> date:
    """`days` working days after `start` by the official calendar.

    A year the calendar does not know yet counts Monday to Friday, so a deadline always exists;
    the manager sees the date and can correct a complaint's deadline by hand.
    """
    try:
        return calendar.add_working_days(start, days)
    except CalendarYearMissing:
        day, counted = start, 0
        while counted < days:
            day += timedelta(days=1)
            if day.weekday() < 5:
                counted += 1
        return day


def due_is_provisional(start: date, due_on: date, calendar: HolidayCalendar) -> bool:
    """Whether a deadline counts days of a year whose official schedule is not out yet."""
    return any(calendar.is_provisional(year) for year in range(start.year, due_on.year + 1))


def recompute_estimated_deadlines(deps: Deps) -> int:
    """Once a year's official schedule is in, move the open follow-ups' and complaints' due days
    that were estimates (counted on that year's statutory days, or Monday to Friday before that)
    to the official count; a due day someone chose is kept. Audited; returns how many moved."""
    now = deps.clock.now()
    moved = 0
    with unit_of_work(deps) as uow:
        session = uow.session
        calendar = hours.official_calendar(session)
        for table, start, still_open, kind in (
            (F, F.c.opened_on, F.c.stage != "closed", "follow_up"),
            (CP, CP.c.registered_on, CP.c.status != "resolved", "complaint"),
        ):
            rows = session.execute(
                select(table.c.id, table.c.hall_id, start.label("start"), table.c.due_on).where(
                    still_open, table.c.due_on >= date(now.year, 1, 1)
                )
            ).all()
            for row in rows:
                official = due_after(row.start, calendar=calendar)
                if official == row.due_on:
                    continue
                years = range(row.start.year, max(row.due_on.year, official.year) + 1)
                if any(calendar.is_provisional(year) for year in years):
                    continue  # still an estimate: nothing official to move it to
                estimates = {due_after(row.start, calendar=TableCalendar([], {}))}  # Mon–Fri
                estimates |= {
                    due_after(row.start, calendar=ProvisionalYear(calendar, year))
                    for year in years
                    if year >= now.year
                }
                if row.due_on not in estimates:
                    continue
                session.execute(update(table).where(table.c.id == row.id).values(due_on=official))
                audit(session, at=now, actor=SYSTEM, action=f"{kind}.due_recomputed",
                      hall_id=row.hall_id, subject=f"{kind} {row.id}",
                      detail={"before": row.due_on.isoformat(), "after": official.isoformat(),
                              "reason": "official holiday schedule"})  # fmt: skip
                moved += 1
    return moved


# =============================================================================================
# 差评 follow-ups


def open_follow_ups(deps: Deps, hall_ids: set[int] | None = None) -> int:
    """Open a follow-up for every 差评 that has none yet; returns how many were opened."""
    missing = (
        select(
            E.c.id,
            E.c.hall_id,
            E.c.ticket_id,
            E.c.window_id,
            E.c.clerk_id,
            E.c.level,
            E.c.created_at,
        )
        .outerjoin(F, F.c.evaluation_id == E.c.id)
        .where(F.c.id.is_(None), E.c.level.in_(LEVELS_NEEDING_REASON))
    )
    if hall_ids is not None:
        missing = missing.where(E.c.hall_id.in_(hall_ids))
    with deps.db.reading() as session:
        if not session.execute(missing.limit(1)).first():
            return 0
    now = deps.clock.now()
    opened = 0
    try:
        with unit_of_work(deps) as uow:
            session = uow.session
            halls = {h.id: h for h in session.scalars(select(Hall))}
            calendar = hours.official_calendar(session)
            for row in session.execute(missing).all():
                hall = halls[row.hall_id]
                opened_on = row.created_at.astimezone(ZoneInfo(hall.timezone)).date()
                session.execute(
                    insert(F).values(
                        evaluation_id=row.id,
                        hall_id=row.hall_id,
                        ticket_id=row.ticket_id,
                        window_id=row.window_id,
                        clerk_id=row.clerk_id,
                        level=row.level,
                        stage="verify",
                        opened_on=opened_on,
                        due_on=due_after(opened_on, calendar=calendar),
                        opened_at=row.created_at,
                        steps=[],
                    )
                )
                audit(
                    session,
                    at=now,
                    actor=SYSTEM,
                    action="follow_up.open",
                    hall_id=row.hall_id,
                    subject=f"evaluation {row.id}",
                    detail={"evaluation": row.id, "ticket": row.ticket_id, "level": row.level},
                )
                opened += 1
    except IntegrityError:
        return 0  # another process opened them at the same moment
    return opened


@periodic("follow_ups", every=timedelta(minutes=1))
def open_missed_follow_ups(deps: Deps) -> None:
    """Follow-ups of 差评 no handler opened: a rating handled by a process that stopped before
    its handler ran (the rating's own handler opens them at once: `bootstrap.py`)."""
    open_follow_ups(deps)


def _overdue(stage: str, due_on: date, closed_on: date | None, today: date) -> bool:
    if stage == "closed":
        return closed_on is not None and closed_on > due_on
    return today > due_on


def overdue_follow_ups(session: Session, hall: Hall, now: datetime) -> int:
    """Open follow-ups of one hall past their due day."""
    return int(
        session.scalar(
            select(func.count()).where(
                F.c.hall_id == hall.id, F.c.stage != "closed", F.c.due_on < hall_today(hall, now)
            )
        )
        or 0
    )


def _names(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {o.id: o for o in session.scalars(select(model).where(model.id.in_(ids)))}


def _follow_up_views(session: Session, rows: list[Any], now: datetime) -> list[dict[str, Any]]:
    calendar = hours.official_calendar(session)
    halls = _names(session, Hall, {r.hall_id for r in rows})
    windows = _names(session, Window, {r.window_id for r in rows})
    clerks = _names(session, Clerk, {r.clerk_id for r in rows})
    tickets = _names(session, Ticket, {r.ticket_id for r in rows})
    ratings = {
        r.id: r
        for r in session.execute(
            select(E.c.id, E.c.reason, E.c.comment, E.c.source, E.c.created_at).where(
                E.c.id.in_([row.evaluation_id for row in rows])
            )
        )
    }
    reasons = {r.code: (r.zh, r.en) for r in EVALUATION_REASONS}
    result = []
    for row in rows:
        hall = halls[row.hall_id]
        today = hall_today(hall, now)
        closed_on = (
            row.closed_at.astimezone(ZoneInfo(hall.timezone)).date() if row.closed_at else None
        )
        level = level_for_code(row.level)
        rating = ratings.get(row.evaluation_id)
        window = windows.get(row.window_id)
        clerk = clerks.get(row.clerk_id)
        ticket = tickets.get(row.ticket_id)
        zh, en = STAGE_NAMES[row.stage]
        result.append(
            {
                "id": row.id,
                "hall_id": row.hall_id,
                "hall": hall.name,
                "ticket": ticket.number if ticket else "",
                "service_day": ticket.service_day.isoformat() if ticket else None,
                "window": f"{window.number} 号 {window.name}" if window else "",
                "clerk": f"{clerk.name}（{clerk.staff_no}）" if clerk else "",
                "clerk_id": row.clerk_id,
                "level": level.code,
                "level_name": level.zh,
                "level_name_en": level.en,
                "reason": reasons.get(rating.reason, ("", ""))[0]
                if rating and rating.reason
                else "",
                "comment": rating.comment if rating else "",
                "stage": row.stage,
                "stage_name": zh,
                "stage_name_en": en,
                "opened_on": row.opened_on.isoformat(),
                "due_on": row.due_on.isoformat(),
                "due_provisional": due_is_provisional(row.opened_on, row.due_on, calendar),
                "overdue": _overdue(row.stage, row.due_on, closed_on, today),
                "closed_at": views.iso(row.closed_at),
                "steps": [
                    {**step, "stage_name": STAGE_NAMES[step["stage"]][0]}
                    for step in (row.steps or [])
                ],
            }
        )
    return result


def _reachable(session: Session, actor: Actor, hall_id: int) -> set[int]:
    access.require_hall(session, actor, hall_id, "complaint.handle")
    return subtree(access.hall_parents(session), hall_id)


@dataclass(frozen=True)
class Cases:
    """Follow-ups or complaints: where they are kept, when one is finished, how it is shown."""

    table: Table
    state: Column[Any]
    finished: str
    missing: tuple[str, str]
    views: Callable[[Session, list[Any], datetime], list[dict[str, Any]]]


FOLLOW_UPS = Cases(
    F, F.c.stage, "closed", ("找不到该差评整改", "No such follow-up"), _follow_up_views
)


def _listed(
    session: Session, cases: Cases, halls: set[int], state: str, now: datetime
) -> list[dict[str, Any]]:
    """The cases of these halls by due day: open (not finished), overdue, finished or all."""
    query = select(cases.table).where(cases.table.c.hall_id.in_(halls))
    if state in ("open", "overdue"):
        query = query.where(cases.state != cases.finished)
    elif state == cases.finished:
        query = query.where(cases.state == cases.finished)
    rows = session.execute(query.order_by(cases.table.c.due_on, cases.table.c.id)).all()
    found = cases.views(session, list(rows), now)
    if state == "overdue":
        found = [case for case in found if case["overdue"]]
    return found


def _found(session: Session, cases: Cases, case_id: int) -> Any:
    row = session.execute(select(cases.table).where(cases.table.c.id == case_id)).first()
    if row is None:
        raise NotFound(*cases.missing)
    return row


def _shown(
    session: Session, cases: Cases, actor: Actor, case_id: int, now: datetime
) -> dict[str, Any]:
    row = _found(session, cases, case_id)
    access.require_hall(session, actor, row.hall_id, "complaint.handle")
    return cases.views(session, [row], now)[0]


def list_follow_ups(
    deps: Deps, actor: Actor, hall_id: int, state: str = "open"
) -> list[dict[str, Any]]:
    """Follow-ups of a hall and the halls below it: open, overdue, closed or all."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        halls = _reachable(session, actor, hall_id)
        return _listed(session, FOLLOW_UPS, halls, state, now)


def get_follow_up(deps: Deps, actor: Actor, follow_up_id: int) -> dict[str, Any]:
    """One follow-up with its steps."""
    with deps.db.reading() as session:
        return _shown(session, FOLLOW_UPS, actor, follow_up_id, deps.clock.now())


def advance_follow_up(
    deps: Deps, actor: Actor, follow_up_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Record what was done at the current stage and move to the next (the last one closes)."""
    values = clean(STEP_FIELDS, data, partial=False)
    with changing(deps, actor, "complaint.handle") as change:
        s = change.session
        row = _found(s, FOLLOW_UPS, follow_up_id)
        change.hall(row.hall_id)
        if row.stage == "closed":
            raise Conflict("该差评整改已办结", "This follow-up is closed already")
        if values["stage"] != row.stage:
            raise Conflict(
                f"该整改当前环节为“{STAGE_NAMES[row.stage][0]}”，请刷新页面",
                f"This follow-up is at the '{STAGE_NAMES[row.stage][1]}' stage now; reload",
            )
        following = STAGES[STAGES.index(row.stage) + 1]
        step = {
            "stage": row.stage,
            "note": values["note"],
            "at": views.iso(change.now),
            "by": actor.name or actor.label,
        }
        s.execute(
            update(F)
            .where(F.c.id == follow_up_id)
            .values(
                stage=following,
                steps=[*(row.steps or []), step],
                closed_at=change.now if following == "closed" else None,
            )
        )
        change.record(
            f"follow_up.{row.stage}",
            row.hall_id,
            f"follow-up {follow_up_id}",
            {"stage": row.stage},
            {"stage": following, "note": values["note"]},
        )
    return get_follow_up(deps, actor, follow_up_id)


# =============================================================================================
# Complaints


def _complaint_views(session: Session, rows: list[Any], now: datetime) -> list[dict[str, Any]]:
    calendar = hours.official_calendar(session)
    halls = _names(session, Hall, {r.hall_id for r in rows})
    windows = _names(session, Window, {r.window_id for r in rows})
    clerks = _names(session, Clerk, {r.clerk_id for r in rows} | {r.assignee_id for r in rows})
    tickets = _names(session, Ticket, {r.ticket_id for r in rows})
    channels = {code: (zh, en) for code, zh, en in CHANNELS}
    result = []
    for row in rows:
        hall = halls[row.hall_id]
        today = hall_today(hall, now)
        window = windows.get(row.window_id)
        clerk = clerks.get(row.clerk_id)
        assignee = clerks.get(row.assignee_id)
        ticket = tickets.get(row.ticket_id)
        resolved_on = (
            row.resolved_at.astimezone(ZoneInfo(hall.timezone)).date() if row.resolved_at else None
        )
        result.append(
            {
                "id": row.id,
                "hall_id": row.hall_id,
                "hall": hall.name,
                "ticket": ticket.number if ticket else "",
                "ticket_id": row.ticket_id,
                "service_day": ticket.service_day.isoformat() if ticket else None,
                "window_id": row.window_id,
                "window": f"{window.number} 号 {window.name}" if window else "",
                "clerk_id": row.clerk_id,
                "clerk": f"{clerk.name}（{clerk.staff_no}）" if clerk else "",
                "channel": row.channel,
                "channel_name": channels.get(row.channel, (row.channel, row.channel))[0],
                "summary": row.summary,
                "contact": row.contact,
                "status": row.status,
                "status_name": COMPLAINT_STATUS_NAMES[row.status][0],
                "status_name_en": COMPLAINT_STATUS_NAMES[row.status][1],
                "assignee_id": row.assignee_id,
                "assignee": assignee.name if assignee else "",
                "registered_on": row.registered_on.isoformat(),
                "due_on": row.due_on.isoformat(),
                "due_provisional": due_is_provisional(row.registered_on, row.due_on, calendar),
                "overdue": _overdue(
                    "closed" if row.status == "resolved" else "open", row.due_on, resolved_on, today
                ),
                "resolved_at": views.iso(row.resolved_at),
                "resolution": row.resolution,
                "upheld": row.upheld,
            }
        )
    return result


COMPLAINTS = Cases(
    CP, CP.c.status, "resolved", ("找不到该投诉", "No such complaint"), _complaint_views
)


def list_complaints(
    deps: Deps, actor: Actor, hall_id: int, state: str = "open"
) -> list[dict[str, Any]]:
    """Complaints of a hall and the halls below it: open (not resolved), overdue, resolved or all."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        halls = _reachable(session, actor, hall_id)
        return _listed(session, COMPLAINTS, halls, state, now)


def get_complaint(deps: Deps, actor: Actor, complaint_id: int) -> dict[str, Any]:
    """One complaint."""
    with deps.db.reading() as session:
        return _shown(session, COMPLAINTS, actor, complaint_id, deps.clock.now())


def _check_assignee(session: Session, actor: Actor, assignee_id: int | None) -> None:
    if assignee_id is None:
        return
    clerk = session.get(Clerk, assignee_id)
    if (
        clerk is None
        or not clerk.active
        or clerk.role not in (Role.CLERK, Role.MANAGER, Role.ADMIN)
        or not access.has_permission(session, actor, clerk.hall_id, "complaint.handle")
    ):
        raise field_error(
            "assignee_id",
            "承办人须为您管辖范围内的在岗人员",
            "Assign it to active staff within your halls",
        )


def _check_due(session: Session, due_on: date | None, today: date) -> date:
    if due_on is None:
        return due_after(today, calendar=hours.official_calendar(session))
    if due_on < today:
        raise field_error("due_on", "办结期限不能早于今天", "The due day cannot be in the past")
    return due_on


def register_complaint(
    deps: Deps, actor: Actor, hall_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Register a complaint against a ticket, window or clerk of the hall (or the hall itself)."""
    values = clean(COMPLAINT_FIELDS, data, partial=False)
    with changing(deps, actor, "complaint.handle") as change:
        s = change.session
        hall = change.hall(hall_id)
        today = hall_today(hall, change.now)
        ticket = None
        window_id, clerk_id = values.get("window_id"), values.get("clerk_id")
        number = (values.get("ticket_number") or "").upper()
        if number:
            day = values.get("ticket_day") or views.today(hall, change.now)
            ticket = s.scalars(
                select(Ticket).where(
                    T.c.hall_id == hall_id, T.c.number == number, T.c.service_day == day
                )
            ).first()
            if ticket is None:
                raise field_error(
                    "ticket_number",
                    f"{day.isoformat()} 没有 {number} 号",
                    f"No ticket {number} on {day.isoformat()}",
                )
            window_id = window_id if window_id is not None else ticket.window_id
            clerk_id = clerk_id if clerk_id is not None else ticket.clerk_id
        if window_id is not None:
            window = s.get(Window, window_id)
            if window is None or window.hall_id != hall_id:
                raise field_error(
                    "window_id", "所选窗口不属于本大厅", "The window is not of this hall"
                )
        if clerk_id is not None:
            clerk = s.get(Clerk, clerk_id)
            if clerk is None or clerk.hall_id != hall_id:
                raise field_error(
                    "clerk_id", "所选人员不属于本大厅", "The clerk is not of this hall"
                )
        _check_assignee(s, actor, values.get("assignee_id"))
        due_on = _check_due(s, values.get("due_on"), today)
        after = {
            "ticket_id": ticket.id if ticket else None,
            "window_id": window_id,
            "clerk_id": clerk_id,
            "channel": values["channel"],
            "summary": values["summary"],
            "status": "assigned" if values.get("assignee_id") else "open",
            "assignee_id": values.get("assignee_id"),
            "registered_on": today,
            "due_on": due_on,
        }
        complaint_id = s.execute(
            insert(CP)
            .values(
                hall_id=hall_id,
                contact=values.get("contact", ""),
                created_at=change.now,
                created_by=actor.label,
                resolution="",
                **after,
            )
            .returning(CP.c.id)
        ).scalar_one()
        change.record("complaint.register", hall_id, f"complaint {complaint_id}", None, after)
    return get_complaint(deps, actor, complaint_id)


def _load_complaint(change: Any, complaint_id: int) -> Any:
    row = _found(change.session, COMPLAINTS, complaint_id)
    change.hall(row.hall_id)
    if row.status == "resolved":
        raise Conflict("该投诉已办结", "This complaint is resolved already")
    return row


def assign_complaint(
    deps: Deps, actor: Actor, complaint_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Give a complaint to someone to handle, with a deadline."""
    values = clean(ASSIGN_FIELDS, data, partial=False)
    with changing(deps, actor, "complaint.handle") as change:
        row = _load_complaint(change, complaint_id)
        hall = change.hall(row.hall_id)
        _check_assignee(change.session, actor, values["assignee_id"])
        due_on = values.get("due_on") or row.due_on
        if values.get("due_on") is not None:
            _check_due(change.session, due_on, hall_today(hall, change.now))
        change.session.execute(
            update(CP)
            .where(CP.c.id == complaint_id)
            .values(assignee_id=values["assignee_id"], due_on=due_on, status="assigned")
        )
        change.record(
            "complaint.assign",
            row.hall_id,
            f"complaint {complaint_id}",
            {"assignee_id": row.assignee_id, "due_on": row.due_on, "status": row.status},
            {"assignee_id": values["assignee_id"], "due_on": due_on, "status": "assigned"},
        )
    return get_complaint(deps, actor, complaint_id)


def resolve_complaint(
    deps: Deps, actor: Actor, complaint_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Close a complaint with its resolution and whether it was upheld (属实)."""
    values = clean(RESOLVE_FIELDS, data, partial=False)
    with changing(deps, actor, "complaint.handle") as change:
        row = _load_complaint(change, complaint_id)
        change.session.execute(
            update(CP)
            .where(CP.c.id == complaint_id)
            .values(
                status="resolved",
                resolution=values["resolution"],
                upheld=values["upheld"],
                resolved_at=change.now,
            )
        )
        change.record(
            "complaint.resolve",
            row.hall_id,
            f"complaint {complaint_id}",
            {"status": row.status},
            {"status": "resolved", "resolution": values["resolution"], "upheld": values["upheld"]},
        )
    return get_complaint(deps, actor, complaint_id)


def staff_choices(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """Active staff of the hall and the halls below it (to pick a clerk or an assignee)."""
    with deps.db.reading() as session:
        halls = _reachable(session, actor, hall_id)
        return [
            {
                "id": c.id,
                "name": c.name,
                "staff_no": c.staff_no,
                "hall_id": c.hall_id,
                "role": c.role.value,
            }
            for c in session.scalars(
                select(Clerk)
                .where(tables.clerks.c.hall_id.in_(halls), tables.clerks.c.active.is_(True))
                .order_by(tables.clerks.c.staff_no)
            )
        ]
