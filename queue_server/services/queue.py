"""Tickets at the windows: calling, serving, finishing, holding, returning and transferring
them, a citizen cancelling theirs, and the window's own state (open, paused, closed). Each is one
use case in one unit of work (`services/unit_of_work.py`); issuing is `services/issuing.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain import events as ev
from ..domain import policy
from ..domain.errors import Conflict, Forbidden, InvalidInput, NotFound, QueueError
from ..domain.model import (
    ACTIVE_AT_WINDOW,
    Category,
    Clerk,
    Hall,
    Outcome,
    ServiceRecord,
    Ticket,
    TicketState,
    Window,
)
from ..store import tables
from . import access, idempotency, lookups, views
from .context import Actor, Deps, audit
from .queue_messages import Outbox
from .unit_of_work import run

R = TypeVar("R")
T = tables.tickets


def window_hall_id(deps: Deps, window_id: int) -> int:
    """The hall of a window (never changes), read before taking the hall's lock."""
    with deps.db.reading() as session:
        hall_id = session.scalar(
            select(tables.windows.c.hall_id).where(tables.windows.c.id == window_id)
        )
    if hall_id is None:
        raise NotFound("找不到该窗口", "No such window")
    return int(hall_id)


# --------------------------------------------------------------------------------------------
# Window actions


@dataclass
class AtWindow:
    """A window action's loaded state."""

    out: Outbox
    window: Window
    clerk_id: int

    @property
    def session(self) -> Session:
        """The transaction's session."""
        return self.out.session

    @property
    def now(self) -> datetime:
        """The transaction's time."""
        return self.out.now


def at_window(
    deps: Deps,
    actor: Actor,
    window_id: int,
    work: Callable[[AtWindow], R],
    *,
    on_duty: bool = True,
) -> R:
    """Run a window action under the hall lock, as a clerk posted at that window.

    With `on_duty`, only the clerk now working the window acts (or anyone posted there while
    nobody does): the B post takes over through open or resume, never by acting beside A.
    """

    def locked(out: Outbox) -> R:
        window = out.session.get(Window, window_id, populate_existing=True)
        if window is None:
            raise NotFound("找不到该窗口", "No such window")
        access.require(out.session, actor, window.hall_id, "window.operate", window=window)
        clerk_id = actor.id or 0
        if on_duty and window.active_clerk_id not in (None, clerk_id):
            other = out.session.get(Clerk, window.active_clerk_id)
            name = other.name if other else ""
            raise Conflict(
                f"本窗口正由 {name} 值守；请对方暂停或签退后再接岗",
                "Another clerk is on duty at this window; take over after they pause or sign out",
            )
        return work(AtWindow(out, window, clerk_id))

    return run(deps, window_hall_id(deps, window_id), locked)


def current_ticket(session: Session, window: Window) -> Ticket | None:
    """The ticket called or being served at a window."""
    return session.scalars(
        select(Ticket)
        .where(T.c.window_id == window.id, T.c.state.in_(list(ACTIVE_AT_WINDOW)))
        .limit(1)
    ).first()


def require_current(w: AtWindow) -> Ticket:
    """The window's current ticket, or a clear refusal."""
    ticket = current_ticket(w.session, w.window)
    if ticket is None:
        raise Conflict("本窗口当前没有正在叫号或办理的号", "No ticket is called or served here")
    return ticket


def end_service_record(session: Session, ticket: Ticket, now: datetime, outcome: Outcome) -> None:
    """Close the ticket's open visit at a window with this outcome."""
    record = views.service_record_for(session, ticket)
    if record is not None:
        record.ended_at = now
        record.outcome = outcome
        record.items = list(ticket.items)
        if record.started_at is None and ticket.started_at is not None:
            record.started_at = ticket.started_at


def _called_view(w: AtWindow, ticket: Ticket | None) -> dict[str, Any]:
    if ticket is None:
        return {"ticket": None}
    category = w.session.get(Category, ticket.category_id)
    return {
        "ticket": views.ticket_view(
            ticket, category, w.window, rules=w.out.hall.rules, include_token=False
        )
    }


def _call(w: AtWindow, ticket: Ticket, action: str) -> None:
    s, now = w.session, w.now
    rules = w.out.hall.rules
    previous = views.service_record_for(s, ticket)
    events = ticket.call(w.window, w.clerk_id, now)
    policy.after_call(w.window, ticket, rules, now)
    s.add(
        ServiceRecord(
            ticket_id=ticket.id or 0,
            hall_id=ticket.hall_id,
            window_id=w.window.id or 0,
            clerk_id=w.clerk_id,
            category_id=ticket.category_id,
            called_at=now,
            previous_id=previous.id if previous else _last_record_id(s, ticket),
        )
    )
    s.flush()
    audit(
        s,
        at=now,
        actor=Actor("clerk", w.clerk_id, w.window.hall_id),
        action=action,
        hall_id=w.window.hall_id,
        subject=ticket.number,
        detail={"ticket": ticket.id, "window": w.window.number},
    )
    w.out.record(events)


def _last_record_id(session: Session, ticket: Ticket) -> int | None:
    return session.scalar(
        select(func.max(tables.service_records.c.id)).where(
            tables.service_records.c.ticket_id == ticket.id
        )
    )


def _audit(w: AtWindow, action: str, ticket: Ticket | None, **detail: Any) -> None:
    audit(
        w.session,
        at=w.now,
        actor=Actor("clerk", w.clerk_id, w.window.hall_id),
        action=action,
        hall_id=w.window.hall_id,
        subject=ticket.number if ticket else f"window {w.window.number}",
        detail={"window": w.window.number, **({"ticket": ticket.id} if ticket else {}), **detail},
    )


def _finish(w: AtWindow, ticket: Ticket, outcome: Outcome, items: list[int]) -> None:
    events = ticket.finish(outcome, items, w.now)
    views.forget_service_times(w.session, w.window.hall_id)
    end_service_record(w.session, ticket, w.now, outcome)
    _audit(w, "ticket.finish", ticket, outcome=outcome.value, items=items)
    w.out.record(events)


def call_next(
    deps: Deps, actor: Actor, window_id: int, idempotency_key: str | None = None
) -> dict[str, Any]:
    """Call the next ticket by the hall's policy; first finish the current one, if any.

    A request that repeats the `idempotency_key` of a recent call-next from the same clerk gets
    the ticket that call-next called, and nothing else happens. Without a key, a ticket called
    less than the hall's `call_next_guard_seconds` ago is not finished: 409 (a double tap).
    """
    key = idempotency.check_key(idempotency_key)
    issuer = idempotency.issuer_of(actor) if key is not None else None
    issuer = f"{issuer}:call-next" if issuer is not None else None

    def work(w: AtWindow) -> dict[str, Any]:
        if key is not None and issuer is not None:
            earlier = idempotency.earlier_ticket(w.session, issuer, key, w.now)
            if earlier is not None:
                return _called_view(w, w.session.get(Ticket, earlier))
        w.window.require_open()
        current = current_ticket(w.session, w.window)
        if current is not None:
            if key is None and current.called_moments_ago(w.out.hall.rules, w.now):
                seconds = w.out.hall.rules.call_next_guard_seconds
                raise Conflict(
                    f"{current.number} 号刚刚呼叫（不到 {seconds} 秒），尚未办结；"
                    "请等群众到窗口办理后再叫下一位",
                    f"Ticket {current.number} was called less than {seconds} s ago and is not "
                    "finished; call the next one once it has been served",
                )
            _finish(w, current, Outcome.COMPLETED, list(current.items))
        waiting = views.waiting_tickets(w.session, w.out.hall, w.now)
        hall, rules = w.out.hall, w.out.hall.rules
        # The hall's other windows matter only when comprehensive windows leave the categories
        # of open fixed or flexible windows for later.
        windows = (
            views.hall_config(w.session, hall.id or 0).windows
            if rules.comprehensive_prefers_unserved
            else ()
        )
        chosen = policy.choose_next(w.window, waiting, rules, w.now, w.clerk_id, windows)
        if chosen is None:
            w.out.record([ev.WindowChanged(w.window.hall_id, w.window.id or 0)])
            return {"ticket": None}
        ticket = w.session.get(Ticket, chosen.id)
        assert ticket is not None
        _call(w, ticket, "ticket.call_next")
        if key is not None and issuer is not None:
            idempotency.remember(w.session, issuer, key, hall.id or 0, ticket.id or 0, w.now)
        return _called_view(w, ticket)

    return at_window(deps, actor, window_id, work)


def call_ticket(deps: Deps, actor: Actor, window_id: int, ticket_ref: Any) -> dict[str, Any]:
    """Call a chosen waiting ticket out of order, where the hall allows it (audited)."""

    def work(w: AtWindow) -> dict[str, Any]:
        if not w.out.hall.rules.allow_call_out_of_order:
            raise Forbidden(
                "本大厅不允许选号叫号，请按顺序叫号",
                "This hall does not allow calling out of order; call the next ticket",
            )
        w.window.require_open()
        if current_ticket(w.session, w.window) is not None:
            raise Conflict("请先办结或处理当前的号", "Finish or settle the current ticket first")
        ticket = find_ticket_at_hall(w.session, w.out.hall, ticket_ref, w.now)
        if not policy.may_call(w.window, ticket, w.clerk_id):
            raise Conflict(
                f"{ticket.number} 号不在本窗口的等候队列中",
                f"Ticket {ticket.number} is not waiting for this window",
            )
        _call(w, ticket, "ticket.call_chosen")
        return _called_view(w, ticket)

    return at_window(deps, actor, window_id, work)


def find_ticket_at_hall(session: Session, hall: Hall, ref: Any, now: datetime) -> Ticket:
    """A ticket of the hall by id, or by today's number (A001)."""
    query = select(Ticket).where(T.c.hall_id == hall.id)
    if isinstance(ref, int) and not isinstance(ref, bool):
        query = query.where(T.c.id == ref)
    elif isinstance(ref, str) and ref.strip():
        ref = ref.strip().upper()
        if ref.isdigit():
            query = query.where(T.c.id == int(ref))
        else:
            query = query.where(T.c.number == ref, T.c.service_day == views.today(hall, now))
    else:
        raise InvalidInput("请指定号码", "Name the ticket")
    ticket = session.scalars(query).first()
    if ticket is None:
        raise NotFound("本大厅今天没有这个号", "No such ticket in this hall today")
    return ticket


def recall(deps: Deps, actor: Actor, window_id: int) -> dict[str, Any]:
    """重呼 the current ticket."""

    def work(w: AtWindow) -> dict[str, Any]:
        ticket = require_current(w)
        events = ticket.recall(w.now)
        _audit(w, "ticket.recall", ticket, times_called=ticket.times_called)
        w.out.record(events)
        return _called_view(w, ticket)

    return at_window(deps, actor, window_id, work)


def start(deps: Deps, actor: Actor, window_id: int) -> dict[str, Any]:
    """The citizen arrived: start serving the current ticket."""

    def work(w: AtWindow) -> dict[str, Any]:
        ticket = require_current(w)
        events = ticket.start(w.now)
        record = views.service_record_for(w.session, ticket)
        if record is not None:
            record.started_at = w.now
        _audit(w, "ticket.start", ticket)
        w.out.record(events)
        return _called_view(w, ticket)

    return at_window(deps, actor, window_id, work)


def parse_outcome(value: Any) -> Outcome:
    """办结 / 需补正 / 转后台 from the request, in English codes or the Chinese words."""
    if value is None or value == "":
        return Outcome.COMPLETED
    words = {
        "办结": Outcome.COMPLETED,
        "需补正": Outcome.NEEDS_CORRECTION,
        "转后台": Outcome.BACK_OFFICE,
    }
    if value in words:
        return words[value]
    try:
        outcome = Outcome(value)
    except ValueError:
        outcome = Outcome.NO_SHOW  # refused just below with the same message
    if outcome not in (Outcome.COMPLETED, Outcome.NEEDS_CORRECTION, Outcome.BACK_OFFICE):
        raise InvalidInput(
            "办理结果须为 办结、需补正 或 转后台",
            "outcome must be completed, needs_correction or back_office",
        )
    return outcome


def finish(
    deps: Deps, actor: Actor, window_id: int, items: Any = None, outcome: Any = None
) -> dict[str, Any]:
    """办结: end the current service, recording the items done and the outcome."""
    result_outcome = parse_outcome(outcome)
    if items is None:
        items = []
    if not isinstance(items, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in items
    ):
        raise InvalidInput("办理事项须为事项编号列表", "items must be a list of service item ids")

    def work(w: AtWindow) -> dict[str, Any]:
        ticket = require_current(w)
        if items:
            found = set(
                w.session.scalars(
                    select(tables.service_items.c.id).where(
                        tables.service_items.c.id.in_(items),
                        tables.service_items.c.hall_id == w.window.hall_id,
                    )
                )
            )
            missing = [i for i in items if i not in found]
            if missing:
                raise NotFound(
                    f"本大厅没有这些事项：{missing}", f"This hall has no service items {missing}"
                )
        _finish(w, ticket, result_outcome, items)
        return _called_view(w, ticket)

    return at_window(deps, actor, window_id, work)


def no_show(deps: Deps, actor: Actor, window_id: int) -> dict[str, Any]:
    """过号: the called citizen did not come."""

    def work(w: AtWindow) -> dict[str, Any]:
        ticket = require_current(w)
        events = ticket.mark_no_show(w.out.hall.rules, w.now)
        end_service_record(w.session, ticket, w.now, Outcome.NO_SHOW)
        _audit(w, "ticket.no_show", ticket)
        w.out.record(events)
        return _called_view(w, ticket)

    return at_window(deps, actor, window_id, work)


def hold(deps: Deps, actor: Actor, window_id: int) -> dict[str, Any]:
    """暂离: park the current ticket while the citizen fetches a document."""

    def work(w: AtWindow) -> dict[str, Any]:
        ticket = require_current(w)
        events = ticket.hold(w.now)
        _audit(w, "ticket.hold", ticket)
        w.out.record(events)
        return _called_view(w, ticket)

    return at_window(deps, actor, window_id, work)


def held_tickets(session: Session, window: Window) -> list[Ticket]:
    """Tickets parked at a window."""
    return list(
        session.scalars(
            select(Ticket)
            .where(T.c.window_id == window.id, T.c.state == TicketState.HELD)
            .order_by(T.c.held_at)
        )
    )


def resume_ticket(
    deps: Deps, actor: Actor, window_id: int, ticket_ref: Any = None
) -> dict[str, Any]:
    """The citizen is back: continue serving a held ticket at this window."""

    def work(w: AtWindow) -> dict[str, Any]:
        if current_ticket(w.session, w.window) is not None:
            raise Conflict("请先办结或处理当前的号", "Finish or settle the current ticket first")
        held = held_tickets(w.session, w.window)
        if ticket_ref is None:
            if not held:
                raise Conflict("本窗口没有暂离的号", "No ticket is on hold at this window")
            ticket = held[0]
        else:
            ticket = find_ticket_at_hall(w.session, w.out.hall, ticket_ref, w.now)
        events = ticket.resume_held(w.window, w.now)
        _audit(w, "ticket.resume", ticket)
        w.out.record(events)
        return _called_view(w, ticket)

    return at_window(deps, actor, window_id, work)


def return_ticket(deps: Deps, actor: Actor, window_id: int, ticket_ref: Any) -> dict[str, Any]:
    """A no-show citizen came back: the ticket re-enters a few places from the front."""

    def work(w: AtWindow) -> dict[str, Any]:
        ticket = find_ticket_at_hall(w.session, w.out.hall, ticket_ref, w.now)
        if ticket.service_day != views.today(w.out.hall, w.now):
            raise Conflict("过号的号仅当天有效", "A missed ticket can only return the same day")
        waiting = [
            t.sort_key
            for t in views.waiting_tickets(w.session, w.out.hall, w.now)
            if t.category_id == ticket.category_id
        ]
        key = policy.reentry_sort_key(
            waiting, w.out.hall.rules.return_places_from_front, w.now.timestamp()
        )
        events = ticket.return_after_no_show(key, w.now)
        _audit(w, "ticket.return", ticket)
        w.out.record(events)
        status = views.QueueStatus(w.session, w.out.hall, w.now)
        category = w.session.get(Category, ticket.category_id)
        return {"ticket": views.ticket_view(ticket, category, status=status)}

    return at_window(deps, actor, window_id, work)


def transfer(
    deps: Deps,
    actor: Actor,
    window_id: int,
    *,
    category: Any = None,
    to_window: Any = None,
    clerk: Any = None,
    note: str = "",
) -> dict[str, Any]:
    """转移 the current (or held) ticket to another category, window or named clerk."""
    if note is not None and not isinstance(note, str):
        raise InvalidInput("备注须为文字", "note must be text")
    if isinstance(note, str) and len(note) > 200:
        raise InvalidInput("备注不能超过 200 字", "note must be at most 200 characters")

    def work(w: AtWindow) -> dict[str, Any]:
        s, hall = w.session, w.out.hall
        ticket = current_ticket(s, w.window)
        if ticket is None:
            held = held_tickets(s, w.window)
            if not held:
                raise Conflict("本窗口当前没有可转移的号", "No ticket here to transfer")
            ticket = held[0]
        category_id = (
            lookups.find_category(s, hall, category).id if category not in (None, "") else None
        )
        target_window_id = None
        if to_window not in (None, ""):
            target = lookups.find_window(s, hall, to_window)
            if target.id == w.window.id:
                raise Conflict("不能转移到本窗口", "Cannot transfer to the same window")
            target_window_id = target.id
        target_clerk_id = None
        if clerk not in (None, ""):
            target_clerk = lookups.find_clerk(s, hall, clerk)
            target_clerk_id = target_clerk.id
        end_service_record(s, ticket, w.now, Outcome.TRANSFERRED)
        events = ticket.transfer(
            category_id=category_id,
            window_id=target_window_id,
            clerk_id=target_clerk_id,
            note=note or "",
            now=w.now,
        )
        _audit(
            w,
            "ticket.transfer",
            ticket,
            category=category_id,
            to_window=target_window_id,
            clerk=target_clerk_id,
            note=note or "",
        )
        w.out.record(events)
        status = views.QueueStatus(s, hall, w.now)
        cat = s.get(Category, ticket.category_id)
        return {"ticket": views.ticket_view(ticket, cat, status=status)}

    return at_window(deps, actor, window_id, work)


def cancel(deps: Deps, token: str) -> dict[str, Any]:
    """The citizen gives up their ticket from the phone page."""
    with deps.db.reading() as session:
        row = session.execute(select(T.c.hall_id).where(T.c.token == token)).first()
    if row is None:
        raise NotFound("找不到该号", "No such ticket")

    def work(out: Outbox) -> dict[str, Any]:
        ticket = out.session.scalars(select(Ticket).where(T.c.token == token)).one()
        out.session.refresh(ticket)
        events = ticket.cancel(out.now)
        if events and ticket.window_id:
            end_service_record(out.session, ticket, out.now, Outcome.NO_SHOW)
        audit(
            out.session,
            at=out.now,
            actor=Actor("anonymous"),
            action="ticket.cancel",
            hall_id=out.hall.id,
            subject=ticket.number,
            detail={"ticket": ticket.id},
        )
        out.record(events)
        return {"ticket": views.ticket_view(ticket, out.session.get(Category, ticket.category_id))}

    return run(deps, int(row[0]), work)


# --------------------------------------------------------------------------------------------
# Window state


def open_window(deps: Deps, actor: Actor, window_id: int) -> dict[str, Any]:
    """Start serving at a window (or take it over as the B post)."""

    def work(w: AtWindow) -> dict[str, Any]:
        w.out.record(w.window.open(w.clerk_id, w.now))
        _audit(w, "window.open", None)
        return {"window": views.window_view(w.session, w.window)}

    return at_window(deps, actor, window_id, work, on_duty=False)


def close_window(deps: Deps, actor: Actor, window_id: int) -> dict[str, Any]:
    """Stop serving at a window; a ticket still at the window must be settled first."""

    def work(w: AtWindow) -> dict[str, Any]:
        if current_ticket(w.session, w.window) is not None:
            raise Conflict(
                "请先办结或处理当前的号，再关闭窗口",
                "Finish or settle the current ticket before closing the window",
            )
        w.out.record(w.window.close())
        _audit(w, "window.close", None)
        return {"window": views.window_view(w.session, w.window)}

    return at_window(deps, actor, window_id, work)


def pause_window(deps: Deps, actor: Actor, window_id: int, reason: Any) -> dict[str, Any]:
    """暂停服务 with a reason shown on the displays."""
    if not isinstance(reason, str):
        raise InvalidInput("请填写暂停原因", "Give a reason for the pause")

    def work(w: AtWindow) -> dict[str, Any]:
        w.out.record(w.window.pause(reason))
        _audit(w, "window.pause", None, reason=reason)
        return {"window": views.window_view(w.session, w.window)}

    return at_window(deps, actor, window_id, work)


def resume_window(deps: Deps, actor: Actor, window_id: int) -> dict[str, Any]:
    """Back from a pause (the B post may resume in the A clerk's place)."""

    def work(w: AtWindow) -> dict[str, Any]:
        w.out.record(w.window.resume(w.clerk_id, w.now))
        _audit(w, "window.resume", None)
        return {"window": views.window_view(w.session, w.window)}

    return at_window(deps, actor, window_id, work, on_duty=False)


def sign_out_of_windows(deps: Deps, actor: Actor) -> None:
    """A clerk who signs out no longer staffs any window (AB岗: the B post can take it)."""
    if not actor.is_staff or actor.id is None:
        return
    with deps.db.reading() as session:
        window_ids = list(
            session.scalars(
                select(tables.windows.c.id).where(tables.windows.c.active_clerk_id == actor.id)
            )
        )
    for window_id in window_ids:

        def work(w: AtWindow) -> None:
            if w.window.active_clerk_id == actor.id:
                w.out.record(w.window.pause("工作人员已签退"))
                w.window.active_clerk_id = None
                _audit(w, "window.sign_out", None)

        try:
            at_window(deps, actor, window_id, work)
        except QueueError:
            continue


# --------------------------------------------------------------------------------------------
# Reads


def ticket_status(deps: Deps, token: str) -> dict[str, Any]:
    """A citizen's ticket by its token: state, place, estimated wait, window when called."""
    if not isinstance(token, str) or not 8 <= len(token) <= 40:
        raise NotFound("找不到该号", "No such ticket")
    with deps.db.reading() as session:
        ticket = session.scalars(select(Ticket).where(T.c.token == token)).first()
        if ticket is None:
            raise NotFound("找不到该号", "No such ticket")
        hall = views.get_hall(session, ticket.hall_id)
        now = deps.clock.now()
        status = views.QueueStatus(session, hall, now)
        window = session.get(Window, ticket.window_id) if ticket.window_id else None
        category = session.get(Category, ticket.category_id)
        view = views.ticket_view(ticket, category, window, status=status)
        view["hall"] = views.hall_view(hall)
        return view


def window_panel(deps: Deps, actor: Actor, window_id: int) -> dict[str, Any]:
    """What the clerk's counter panel shows: the window, current, waiting and held tickets."""
    with deps.db.reading() as session:
        window = session.get(Window, window_id)
        if window is None:
            raise NotFound("找不到该窗口", "No such window")
        access.require(session, actor, window.hall_id, "window.operate", window=window)
        hall = views.get_hall(session, window.hall_id)
        now = deps.clock.now()
        status = views.QueueStatus(session, hall, now)
        categories = {c.id: c for c in status.categories}
        current = current_ticket(session, window)
        eligible = [t for t in status.waiting if policy.may_call(window, t, actor.id)]
        rules = hall.rules
        front = sorted(eligible, key=lambda t: (t.rank(now, rules), t.sort_key, t.id))[:50]
        loaded = {
            t.id: t
            for t in session.scalars(select(Ticket).where(T.c.id.in_([t.id for t in front])))
        }
        return {
            "window": views.window_view(session, window),
            "current": views.ticket_view(
                current, categories.get(current.category_id), window, rules=rules
            )
            if current
            else None,
            "waiting": [
                views.ticket_view(loaded[t.id], categories.get(t.category_id), status=status)
                for t in front
            ],
            "waiting_count": len(eligible),
            "held": [
                views.ticket_view(t, categories.get(t.category_id), window)
                for t in held_tickets(session, window)
            ],
            "today": views.count_today(session, hall, now),
            "rules": rules.to_dict(),
        }
