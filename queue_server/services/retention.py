"""Personal data kept no longer than the hall's retention period, then erased; figures stay.

What is erased once a record is older than the period (`retention_days`):

- tickets: the citizen's phone and the clerk's free-text note;
- bookings: the name, phone, ID-number digest and masked ID number, the home-visit address and
  the free-text notes;
- messages sent about bookings: the masked phone and the text;
- complaints: the contact details; once resolved, also what the complaint said and its
  resolution;
- 好差评: the comment typed with a rating (a 差评's comment stays while its follow-up is open);
- 差评 follow-ups, once closed: the notes of each step;
- the audit log: the copies of that free text (a complaint's summary and resolution, a
  follow-up step's note, a transfer's note, a pause's reason), by the entry's own time.

Free text that was written is replaced by `ERASED`, so a reader sees why it is missing; text
never written stays empty. Nothing else changes: every row stays, with its category, state,
rating, outcome, times, window and clerk, so each report (counts, waits, service times, 好差评,
效能考评) adds up as before. The audit log's subjects name records (a ticket number, a
complaint's id, a staff number), never what someone typed, so they stay too. No hash
of an ID number is kept either: no rule looks back further than the period, and an ID number
has too few possibilities for a hash of it to stay anonymous.

The period is the hall's `settings.privacy.retention_days`, else `HALLQ_RETENTION_DAYS`, else
180 days. Finished bookings also follow the booking policy's own, usually shorter,
`keep_personal_days`. Each kind of record has its eraser (`ERASERS`), with its own guard: what
must stay however old it is (a booking still to come, an open complaint's text, the comment of
a 差评 whose follow-up is open, an open follow-up's notes).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, update
from sqlalchemy.orm import Session

from ..domain.booking import BookingState
from ..domain.errors import InvalidInput
from ..domain.model import Hall
from ..store import admin_tables, booking_tables, tables
from . import idempotency
from .booking.rules import load_policy as booking_policy
from .complaints import STAGES
from .context import SYSTEM, Actor, Deps, audit
from .scheduler import periodic
from .unit_of_work import unit_of_work

DEFAULT_DAYS = 180
LIMITS = (1, 3650)
T = tables.tickets
B = booking_tables.bookings
M = booking_tables.booking_messages
C = admin_tables.complaints
E = tables.evaluations
F = admin_tables.follow_ups
A = tables.audit_log

ERASED = "（已按保存期限清除）"
# Where an audit entry keeps a copy of text someone typed: its action, and the path in `detail`.
AUDIT_FREE_TEXT: dict[str, tuple[str, ...]] = {
    "complaint.register": ("after", "summary"),
    "complaint.resolve": ("after", "resolution"),
    **{f"follow_up.{stage}": ("after", "note") for stage in STAGES[:-1]},
    "ticket.transfer": ("note",),
    "window.pause": ("reason",),
}
# A follow-up records one step per stage before `closed`.
FOLLOW_UP_STEPS = len(STAGES) - 1


def _days(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and LIMITS[0] <= value <= LIMITS[1]:
        return value
    return None


def default_days() -> int:
    """The deployment's period: HALLQ_RETENTION_DAYS (1 to 3650), else 180 days."""
    return _days(os.environ.get("HALLQ_RETENTION_DAYS", "")) or DEFAULT_DAYS


def retention_days(hall: Hall) -> int:
    """How many days this hall keeps personal data."""
    privacy = (hall.settings or {}).get("privacy")
    found = _days(privacy.get("retention_days")) if isinstance(privacy, Mapping) else None
    return found or default_days()


def set_retention_days(
    deps: Deps, actor: Actor, hall_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """A manager sets how long the hall keeps personal data (1 to 3650 days)."""
    from .admin import changing

    days = data.get("retention_days")
    if not isinstance(days, int) or isinstance(days, bool) or _days(days) is None:
        raise InvalidInput(
            f"保存期限须为 {LIMITS[0]} 到 {LIMITS[1]} 之间的天数",
            f"retention_days must be a whole number of days from {LIMITS[0]} to {LIMITS[1]}",
        )
    with changing(deps, actor, "hall.configure") as change:
        hall = change.hall(hall_id)
        before = {"retention_days": retention_days(hall)}
        settings = dict(hall.settings or {})
        settings["privacy"] = {**(settings.get("privacy") or {}), "retention_days": days}
        hall.settings = settings
        change.record("hall.retention", hall.id, hall.name, before, {"retention_days": days})
    return {"retention_days": days}


@dataclass(frozen=True)
class Period:
    """What one hall keeps: records older than `cutoff` lose the personal data in them; a
    finished booking loses its name, phone and ID digest already after `bookings_cutoff` (the
    booking policy's usually shorter `keep_personal_days`)."""

    hall_id: int
    cutoff: datetime
    bookings_cutoff: datetime


Eraser = Callable[[Session, Period], int]
# Every kind of record with personal data in it has one eraser here, with its own guard (what
# must stay however old it is); `erase_hall` runs them in this order.
ERASERS: dict[str, Eraser] = {}


def eraser(kind: str) -> Callable[[Eraser], Eraser]:
    """Register the eraser of one kind of record: (session, period) -> how many rows changed."""

    def register(function: Eraser) -> Eraser:
        ERASERS[kind] = function
        return function

    return register


def _changed(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


@eraser("tickets")
def _erase_tickets(session: Session, period: Period) -> int:
    """A ticket's phone and the clerk's note, once the ticket is older than the period."""
    return _changed(
        session.execute(
            update(T)
            .where(
                T.c.hall_id == period.hall_id,
                T.c.issued_at < period.cutoff,
                or_(T.c.phone.is_not(None), T.c.note != ""),
            )
            .values(phone=None, note="")
        )
    )


ACTIVE_BOOKINGS = (BookingState.BOOKED, BookingState.ASSIGNED)


@eraser("bookings")
def _erase_bookings(session: Session, period: Period) -> int:
    """Two steps. A finished booking (checked in, cancelled, missed, closed) untouched for the
    booking policy's days loses the name, phone and ID digest (the masked ID stays, so lists
    stay readable); a booking still to come keeps them, however early it was made. Once its day
    and its last change are older than the period, whatever became of it, everything typed
    about the citizen goes."""
    changed = func.coalesce(B.c.updated_at, B.c.created_at)
    finished = session.execute(
        update(B)
        .where(
            B.c.hall_id == period.hall_id,
            B.c.state.not_in(ACTIVE_BOOKINGS),
            changed < period.bookings_cutoff,
            or_(B.c.citizen_name != "", B.c.phone != "", B.c.id_digest != ""),
        )
        .values(citizen_name="", phone="", id_digest="")
    )
    long_past = session.execute(
        update(B)
        .where(
            B.c.hall_id == period.hall_id,
            B.c.day < period.cutoff.date(),
            changed < period.cutoff,
            or_(
                B.c.citizen_name != "",
                B.c.phone != "",
                B.c.id_digest != "",
                B.c.id_masked != "",
                B.c.address != "",
                B.c.note != "",
                B.c.outcome_note != "",
            ),
        )
        .values(
            citizen_name="",
            phone="",
            id_digest="",
            id_masked="",
            address="",
            note="",
            outcome_note="",
        )
    )
    return _changed(finished) + _changed(long_past)


@eraser("booking_messages")
def _erase_booking_messages(session: Session, period: Period) -> int:
    """The masked phone and the text of messages older than the period."""
    return _changed(
        session.execute(
            update(M)
            .where(
                M.c.hall_id == period.hall_id,
                M.c.created_at < period.cutoff,
                or_(M.c.phone_masked != "", M.c.text != "", M.c.text_en != ""),
            )
            .values(phone_masked="", text="", text_en="")
        )
    )


@eraser("complaints")
def _erase_complaints(session: Session, period: Period) -> int:
    """The contact of a complaint older than the period; what it said and its resolution only
    once it was resolved before the period (an open complaint keeps its text to be handled)."""
    closed = and_(C.c.status == "resolved", C.c.resolved_at < period.cutoff)
    return _changed(
        session.execute(
            update(C)
            .where(
                C.c.hall_id == period.hall_id,
                C.c.created_at < period.cutoff,
                or_(C.c.contact != "", and_(closed, _written(C.c.summary))),
            )
            .values(
                contact="",
                summary=case((closed, ERASED), else_=C.c.summary),
                resolution=case((and_(closed, C.c.resolution != ""), ERASED), else_=C.c.resolution),
            )
        )
    )


@eraser("evaluations")
def _erase_evaluations(session: Session, period: Period) -> int:
    """A rating's comment once older than the period, but not while its 差评 follow-up is still
    open (or closed within the period): the follow-up works from it."""
    return _changed(
        session.execute(
            update(E)
            .where(
                E.c.hall_id == period.hall_id,
                E.c.created_at < period.cutoff,
                _written(E.c.comment),
                ~exists().where(F.c.evaluation_id == E.c.id, ~_closed_before(period.cutoff)),
            )
            .values(comment=ERASED)
        )
    )


def erase_hall(
    deps: Deps, hall_id: int, days: int, now: datetime, kinds: Iterable[str] | None = None
) -> dict[str, int]:
    """Erase the personal data of one hall's records older than `days` (every kind, or the
    `kinds` named), in one transaction; counts per kind."""
    wanted = list(ERASERS) if kinds is None else [k for k in ERASERS if k in set(kinds)]
    with unit_of_work(deps) as uow:
        session = uow.session
        keep_bookings = min(days, booking_policy(session, hall_id).keep_personal_days)
        period = Period(
            hall_id=hall_id,
            cutoff=now - timedelta(days=days),
            bookings_cutoff=now - timedelta(days=keep_bookings),
        )
        erased = {kind: ERASERS[kind](session, period) for kind in wanted}
        if any(erased.values()):
            audit(
                session,
                at=now,
                actor=SYSTEM,
                action="privacy.erase",
                hall_id=hall_id,
                subject=f"{days} 天前",
                detail={"before": period.cutoff.isoformat(), **erased},
            )
    return erased


def _written(column: Any) -> ColumnElement[bool]:
    """Text someone wrote there and that is not erased yet."""
    return func.coalesce(column, "").not_in(("", ERASED))


def _closed_before(cutoff: datetime) -> ColumnElement[bool]:
    return and_(F.c.stage == "closed", F.c.closed_at < cutoff)


def _erased_at(value: Any, path: tuple[str | int, ...]) -> Any:
    """A copy of the JSON `value` with the text at `path` replaced by ERASED."""
    if not path:
        return ERASED if isinstance(value, str) and value != "" else value
    key, rest = path[0], path[1:]
    if isinstance(value, dict) and isinstance(key, str) and key in value:
        return {**value, key: _erased_at(value[key], rest)}
    if isinstance(value, list) and isinstance(key, int) and key < len(value):
        return [_erased_at(v, rest) if i == key else v for i, v in enumerate(value)]
    return value


@eraser("follow_ups")
def _erase_follow_up_notes(session: Session, period: Period) -> int:
    """The step notes of follow-ups closed before the cutoff (an open one keeps its notes);
    how many follow-ups changed."""
    hall_id, cutoff = period.hall_id, period.cutoff
    paths = [(step, "note") for step in range(FOLLOW_UP_STEPS)]
    rows = session.execute(
        select(F.c.id, F.c.steps).where(
            F.c.hall_id == hall_id,
            _closed_before(cutoff),
            or_(*(_written(F.c.steps[path].as_string()) for path in paths)),
        )
    ).all()
    for row in rows:
        steps = row.steps or []
        for path in paths:
            steps = _erased_at(steps, path)
        session.execute(update(F).where(F.c.id == row.id).values(steps=steps))
    return len(rows)


@eraser("audit_log")
def _erase_audit_text(session: Session, period: Period) -> int:
    """Typed text copied into audit entries older than the cutoff; how many entries changed."""
    hall_id, cutoff = period.hall_id, period.cutoff
    rows = session.execute(
        select(A.c.id, A.c.action, A.c.detail).where(
            A.c.hall_id == hall_id,
            A.c.at < cutoff,
            A.c.action.in_(AUDIT_FREE_TEXT),
            or_(
                *(
                    and_(A.c.action == action, _written(A.c.detail[path].as_string()))
                    for action, path in AUDIT_FREE_TEXT.items()
                )
            ),
        )
    ).all()
    for row in rows:
        detail = _erased_at(row.detail, AUDIT_FREE_TEXT[row.action])
        session.execute(update(A).where(A.c.id == row.id).values(detail=detail))
    return len(rows)


# The kinds of record with personal data, in the order they are erased.
KINDS = tuple(ERASERS)


@periodic("personal_data_retention", every=timedelta(hours=1))
def erase_expired_personal_data(deps: Deps, kinds: Iterable[str] | None = None) -> dict[str, int]:
    """Each hall's personal data past its retention period (of every kind, or the `kinds`
    named), erased; totals per kind."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        periods = [
            (hall.id or 0, retention_days(hall))
            for hall in session.scalars(select(Hall).order_by(tables.halls.c.id))
        ]
    totals = dict.fromkeys(KINDS if kinds is None else [k for k in KINDS if k in set(kinds)], 0)
    for hall_id, days in periods:
        for kind, count in erase_hall(deps, hall_id, days, now, kinds).items():
            totals[kind] += count
    return totals


@periodic("forget_issue_keys", every=timedelta(minutes=10))
def forget_issue_keys(deps: Deps) -> int:
    """Idempotency keys of ticket requests are only needed for retries: clear old ones."""
    with unit_of_work(deps) as uow:
        session = uow.session
        return idempotency.forget_before(session, deps.clock.now() - idempotency.KEEP)
