"""好差评 use cases: a citizen rates a finished service once, on the pad at the window, on the
evaluator keypad or on the phone page, within the hall's time limit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ..domain import evaluation as rules
from ..domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from ..domain.model import Hall, Ticket, TicketState, Window
from ..store import tables
from . import views
from .bus import Message
from .context import ANONYMOUS, SYSTEM, Actor, Deps, audit
from .unit_of_work import unit_of_work

E = tables.evaluations
T = tables.tickets
RATED_ALREADY = ("该号已评价过，感谢您", "This ticket is already rated")


def levels_view() -> list[dict[str, Any]]:
    """The five levels, best first, and whether each asks for a reason."""
    return [
        {
            "code": level.code,
            "name": level.zh,
            "name_en": level.en,
            "score": level.score,
            "needs_reason": level.code in rules.LEVELS_NEEDING_REASON,
        }
        for level in rules.EVALUATION_LEVELS
    ]


def reasons_view() -> list[dict[str, Any]]:
    """The reasons a low rating chooses from."""
    return [{"code": r.code, "name": r.zh, "name_en": r.en} for r in rules.EVALUATION_REASONS]


def evaluation_row_view(row: Any) -> dict[str, Any]:
    """A stored rating as the API shows it (no clerk identity: the citizen sees their own)."""
    level = rules.level_for_code(row.level)
    return {
        "level": level.code,
        "level_name": level.zh,
        "level_name_en": level.en,
        "score": row.score,
        "reason": row.reason,
        "comment": row.comment,
        "source": row.source,
        "created_at": views.iso(row.created_at),
    }


def _stored(session: Session, ticket_id: int | None) -> Any:
    return session.execute(select(E).where(E.c.ticket_id == ticket_id)).first()


def _served(ticket: Ticket) -> bool:
    return ticket.state == TicketState.DONE


def _minutes(hall: Hall) -> int:
    return rules.evaluation_minutes(hall.settings)


def ticket_evaluation(deps: Deps, token: str) -> dict[str, Any]:
    """What the phone page needs: whether the ticket can be rated now, and its rating if any."""
    if not isinstance(token, str) or not 8 <= len(token) <= 40:
        raise NotFound("找不到该号", "No such ticket")
    now = deps.clock.now()
    with deps.db.reading() as session:
        ticket = session.scalars(select(Ticket).where(T.c.token == token)).first()
        if ticket is None:
            raise NotFound("找不到该号", "No such ticket")
        hall = views.get_hall(session, ticket.hall_id)
        return _status_view(session, hall, ticket, now)


def _status_view(session: Session, hall: Hall, ticket: Ticket, now: datetime) -> dict[str, Any]:
    minutes = _minutes(hall)
    stored = _stored(session, ticket.id)
    deadline = rules.evaluation_deadline(ticket.finished_at, minutes) if _served(ticket) else None
    window = session.get(Window, ticket.window_id) if ticket.window_id else None
    return {
        "number": ticket.number,
        "state": ticket.state.value,
        "window": views.window_brief(window) if window else None,
        "evaluation": evaluation_row_view(stored) if stored else None,
        "can_evaluate": stored is None and deadline is not None and now <= deadline,
        "deadline": views.iso(deadline),
        "time_limit_minutes": minutes,
        "levels": levels_view(),
        "reasons": reasons_view(),
    }


def _store(
    deps: Deps,
    session: Session,
    hall: Hall,
    ticket: Ticket,
    rating: rules.Rating,
    source: str,
    actor: Actor,
    now: datetime,
) -> dict[str, Any]:
    if source not in rules.EVALUATION_SOURCES:
        raise InvalidInput("未知的评价来源", "Unknown evaluation source")
    if _stored(session, ticket.id) is not None:
        raise Conflict(f"{ticket.number} 号已评价过，感谢您", f"Ticket {ticket.number} is rated")
    rules.require_open_for_rating(
        ticket.number, _served(ticket), ticket.finished_at, _minutes(hall), now
    )
    session.execute(
        insert(E).values(
            ticket_id=ticket.id,
            hall_id=ticket.hall_id,
            window_id=ticket.window_id,
            clerk_id=ticket.clerk_id,
            level=rating.level.code,
            score=rating.level.score,
            reason=rating.reason,
            comment=rating.comment,
            source=source,
            created_at=now,
        )
    )
    audit(
        session,
        at=now,
        actor=actor,
        action="ticket.evaluate",
        hall_id=ticket.hall_id,
        subject=ticket.number,
        detail={"ticket": ticket.id, "level": rating.level.code, "source": source},
    )
    return _status_view(session, hall, ticket, now) | {"evaluation": _new_view(rating, source, now)}


def _new_view(rating: rules.Rating, source: str, now: datetime) -> dict[str, Any]:
    return {
        "level": rating.level.code,
        "level_name": rating.level.zh,
        "level_name_en": rating.level.en,
        "score": rating.level.score,
        "reason": rating.reason,
        "comment": rating.comment,
        "source": source,
        "created_at": views.iso(now),
    }


def _messages(ticket: Ticket, view: dict[str, Any]) -> list[Message]:
    payload = {
        "number": ticket.number,
        "window_id": ticket.window_id,
        "level": view["evaluation"]["level"],
        "level_name": view["evaluation"]["level_name"],
        "source": view["evaluation"]["source"],
    }
    rooms = [f"hall:{ticket.hall_id}", f"ticket:{ticket.token}"]
    if ticket.window_id:
        rooms.append(f"window:{ticket.window_id}")
    return [Message("ticket_evaluated", room, payload) for room in rooms]


def _commit_rating(deps: Deps, find: Any, rating: rules.Rating, source: str, actor: Actor) -> Any:
    # Two sources rating the same ticket at the same moment: the first one counts.
    with unit_of_work(deps, conflict=RATED_ALREADY) as uow:
        session, now = uow.session, uow.now
        ticket = find(session, now)
        hall = views.get_hall(session, ticket.hall_id)
        view = _store(deps, session, hall, ticket, rating, source, actor, now)
        uow.publish(_messages(ticket, view))
    return view


def rate_by_token(
    deps: Deps, token: str, level: Any, reason: Any = None, comment: Any = None
) -> dict[str, Any]:
    """The citizen rates their own ticket on the phone page (一次一评)."""
    rating = rules.check_rating(level, reason, comment)

    def find(session: Session, now: datetime) -> Ticket:
        ticket = session.scalars(select(Ticket).where(T.c.token == token)).first()
        if ticket is None:
            raise NotFound("找不到该号", "No such ticket")
        return ticket

    if not isinstance(token, str) or not 8 <= len(token) <= 40:
        raise NotFound("找不到该号", "No such ticket")
    return _commit_rating(deps, find, rating, "phone", ANONYMOUS)


def last_visit(session: Session, window_id: int) -> Ticket | None:
    """The ticket whose visit at this window ended last (done, no-show or cancelled)."""
    return session.scalars(
        select(Ticket)
        .where(T.c.window_id == window_id, T.c.finished_at.is_not(None))
        .order_by(T.c.finished_at.desc(), T.c.id.desc())
        .limit(1)
    ).first()


def _pending_ticket(session: Session, window_id: int, now: datetime) -> Ticket | None:
    ticket = last_visit(session, window_id)
    if ticket is None or not _served(ticket) or _stored(session, ticket.id) is not None:
        return None
    hall = views.get_hall(session, ticket.hall_id)
    deadline = rules.evaluation_deadline(ticket.finished_at, _minutes(hall))
    if deadline is None or now > deadline:
        return None
    return ticket


def pending_at_window(deps: Deps, window_id: int) -> dict[str, Any]:
    """What the pad at a window asks about now: the last served visit, if not rated yet."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        window = session.get(Window, window_id)
        if window is None:
            raise NotFound("找不到该窗口", "No such window")
        ticket = _pending_ticket(session, window_id, now)
        hall = views.get_hall(session, window.hall_id)
        minutes = _minutes(hall)
        return {
            "window": views.window_brief(window),
            "pending": {
                "number": ticket.number,
                "finished_at": views.iso(ticket.finished_at),
                "deadline": views.iso(rules.evaluation_deadline(ticket.finished_at, minutes)),
            }
            if ticket
            else None,
            "levels": levels_view(),
            "reasons": reasons_view(),
            "server_time": views.iso(now),
        }


def rate_at_window(
    deps: Deps,
    window_id: int,
    level: Any,
    reason: Any = None,
    comment: Any = None,
    *,
    number: str | None = None,
    source: str = "pad",
    actor: Actor = ANONYMOUS,
) -> dict[str, Any]:
    """The pad or keypad at a window rates the visit that ended there last.

    The pad names the number it showed, so a rating never lands on a later visit. A pad rating
    must come from that window's evaluator device (its device token): only the citizen in front
    of the window rates the visit, never anyone else on the network (the phone page rates by the
    ticket's own token instead). The keypad's ratings come from the device worker.
    """
    if source == "pad":
        require_window_pad(actor)
    rating = rules.check_rating(level, reason, comment, require_reason=source != "keypad")

    def find(session: Session, now: datetime) -> Ticket:
        if session.get(Window, window_id) is None:
            raise NotFound("找不到该窗口", "No such window")
        if source == "pad":
            pad_window = session.scalar(
                select(tables.devices.c.window_id).where(tables.devices.c.id == actor.id)
            )
            if pad_window != window_id:
                raise Forbidden(
                    "本评价器不属于该窗口", "This evaluation pad belongs to another window"
                )
        ticket = last_visit(session, window_id)
        if ticket is None or (number is not None and ticket.number != number):
            raise Conflict(
                "没有待评价的办理，请在办结后评价",
                "No finished service here is waiting for a rating",
            )
        return ticket

    return _commit_rating(deps, find, rating, source, SYSTEM if source == "keypad" else actor)


def require_window_pad(actor: Actor) -> None:
    """Only an evaluator device (its token) rates at a window: 401 for nobody, 403 for others."""
    if actor.kind == "device" and actor.device_kind == "evaluator":
        return
    if actor.kind == "device" or actor.is_staff:
        raise Forbidden(
            "只有该窗口的评价器可以提交评价", "Only the window's evaluation pad may rate here"
        )
    raise Unauthorized(
        "评价器未授权：请使用该窗口评价器的设备令牌",
        "Evaluation pad not authorised: use the window's evaluator device token",
    )


def window_day_stats(session: Session, window: Window, now: datetime) -> dict[str, Any]:
    """Today's figures of one window: served, no-shows, average service, ratings."""
    hall = views.get_hall(session, window.hall_id)
    day = views.today(hall, now)
    rows = session.execute(
        select(T.c.state, func.count())
        .where(T.c.window_id == window.id, T.c.service_day == day)
        .group_by(T.c.state)
    ).all()
    by_state = {str(state): int(n) for state, n in rows}
    ratings = session.execute(
        select(E.c.level, func.count())
        .join(T, T.c.id == E.c.ticket_id)
        .where(E.c.window_id == window.id, T.c.service_day == day)
        .group_by(E.c.level)
    ).all()
    levels = {str(level): int(n) for level, n in ratings}
    rated = sum(levels.values())
    satisfied = sum(n for code, n in levels.items() if code not in rules.LEVELS_NEEDING_REASON)
    return {
        "served": by_state.get(TicketState.DONE.value, 0),
        "no_show": by_state.get(TicketState.NO_SHOW.value, 0),
        "held": by_state.get(TicketState.HELD.value, 0),
        "rated": rated,
        "ratings": levels,
        "satisfaction_percent": round(100 * satisfied / rated) if rated else None,
    }
