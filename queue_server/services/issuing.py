"""Issuing a ticket: the next number of a category today, its place and estimated wait, and
what a kiosk prints of it. The busiest use case, written with plain statements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from ..domain import events as ev
from ..domain.booking import walk_in_refusal
from ..domain.errors import Conflict, InvalidInput, NotFound
from ..domain.model import Category, Priority, ServiceItem, Ticket
from ..domain.numbering import format_number, next_seq
from ..store import tables
from ..store.statements import DriverStatement
from . import access, idempotency, lookups, views
from .context import Actor, Deps, audit
from .hours import hall_schedule, official_calendar, open_state
from .printing import kiosk_ticket
from .queue_messages import Outbox
from .unit_of_work import run

T = tables.tickets
BUSY = ("取号繁忙，请再试一次", "Busy issuing tickets; please try again")


_LAST_SEQ = DriverStatement(
    select(func.max(T.c.seq)).where(
        T.c.hall_id == bindparam("hall"),
        T.c.category_id == bindparam("category"),
        T.c.service_day == bindparam("day", type_=T.c.service_day.type),
    )
)
# The ticket's columns, all of them written from the domain object, as the ORM would.
_TICKET_FIELDS = [c.name for c in T.columns if c.name in {f.name for f in fields(Ticket)}]
_TICKET_FIELDS.remove("id")
_INSERT_TICKET = DriverStatement(insert(T).returning(T.c.id), column_keys=_TICKET_FIELDS)


def _require_walk_in_open(config: views.HallConfig, session: Session, now: datetime) -> None:
    """`require_walk_in_open`, its verdict kept for the minute (hours are set to the minute)."""
    minute = now.replace(second=0, microsecond=0)
    state = config.walk_in.get(minute)
    if state is None:
        state = open_state(config.hall, now, official_calendar(session))
        config.walk_in.clear()
        config.walk_in[minute] = state
    if not state.open:
        raise Conflict(state.notice, state.notice_en)


def _require_walk_in_category(
    config: views.HallConfig, session: Session, category: Category, now: datetime
) -> None:
    """Refuse a walk-in ticket in a session its booking rule keeps for booked citizens."""
    key = ("category", now.replace(second=0, microsecond=0), category.id)
    if key not in config.walk_in:
        hall = config.hall
        if config.booking_rules is None:  # kept with the settings (same version)
            config.booking_rules = lookups.load_rules(session, hall.id or 0)
        config.walk_in[key] = walk_in_refusal(  # type: ignore[index]
            hall_schedule(hall, official_calendar(session)),
            config.booking_rules,
            category.id or 0,
            now,
            ZoneInfo(hall.timezone),
        )
    refusal = config.walk_in[key]  # type: ignore[index]
    if refusal is not None:
        raise Conflict(*refusal)


def parse_priority(value: Any) -> Priority:
    """绿色通道 kind from the request."""
    if value is None or value == "":
        return Priority.NONE
    try:
        return Priority(value)
    except ValueError:
        raise InvalidInput(
            "优先类型须为 none、elderly、disabled、pregnant 或 military",
            "priority must be none, elderly, disabled, pregnant or military",
        ) from None


def issue_ticket(
    deps: Deps,
    actor: Actor,
    hall_id: int,
    category: Any,
    priority: Any = None,
    phone: str | None = None,
    service_item_id: int | None = None,
    appointment: tuple[int, datetime] | None = None,
    idempotency_key: str | None = None,
    then: Callable[[Session, int], None] | None = None,
) -> dict[str, Any]:
    """Take a ticket: the next number of the category today, its place and estimated wait.

    A request that repeats the `idempotency_key` of a recent one from the same issuer gets the
    ticket that one made (a retry after a lost reply), and nothing new is issued. `then` writes
    what belongs with the new ticket (a case's pickup ticket) in the same transaction."""
    prio = parse_priority(priority)
    key = idempotency.check_key(idempotency_key)
    issuer = idempotency.issuer_of(actor) if key is not None else None
    if phone is not None:
        phone = str(phone).strip() or None
        if phone is not None and not (phone.isdigit() and len(phone) == 11 and phone[0] == "1"):
            raise InvalidInput("手机号码须为 11 位数字", "A phone number has 11 digits")

    def work(out: Outbox) -> dict[str, Any]:
        s, hall, now = out.session, out.hall, out.now
        # The busiest use case: the hall's settings come from the short-lived cache and the
        # ticket is written with plain statements, not through the ORM (same rows, same events).
        config = views.hall_config(s, hall.id or 0)
        access.require(s, actor, hall, "ticket.issue")
        if actor.kind == "device" and appointment is None:
            _require_walk_in_open(config, s, now)
        if key is not None and issuer is not None:
            earlier = idempotency.earlier_ticket(s, issuer, key, now)
            if earlier is not None:
                booked = appointment[0] if appointment else None
                return _issued_before(deps, out, config, earlier, category, booked)
        cat = config.category(category)
        if actor.kind == "device" and appointment is None:
            _require_walk_in_category(config, s, cat, now)
        item_id: int | None = None
        item: ServiceItem | None = None
        if service_item_id is not None:
            item = s.get(ServiceItem, service_item_id)
            if item is None or item.hall_id != hall.id or not item.active:
                raise NotFound("本大厅没有该事项", "This hall has no such service item")
            item_id = item.id
        day = views.today(hall, now)
        conn = s.connection()
        last = _LAST_SEQ.scalar(conn, {"hall": hall.id, "category": cat.id, "day": day})
        seq = next_seq(last, cat.daily_cap, cat.name)
        ticket = Ticket(
            hall_id=hall.id or 0,
            category_id=cat.id or 0,
            service_day=day,
            seq=seq,
            number=format_number(cat.prefix, seq),
            token=deps.new_token(),
            issued_at=now,
            sort_key=now.timestamp(),
            priority=prio,
            phone=phone,
            source="appointment"
            if appointment
            else ("kiosk" if actor.kind == "device" else actor.kind),
            service_item_id=item_id,
            appointment_id=appointment[0] if appointment else None,
            appointment_due_at=appointment[1] if appointment else None,
            device_id=actor.id if actor.kind == "device" else None,
            agent_id=actor.id if actor.is_staff else None,
        )
        values = {name: getattr(ticket, name) for name in _TICKET_FIELDS}
        ticket.id = _INSERT_TICKET.scalar(conn, values)
        if key is not None and issuer is not None:
            idempotency.remember(s, issuer, key, hall.id or 0, ticket.id or 0, now)
        out.known[(Ticket, ticket.id or 0)] = ticket
        out.known[(Category, cat.id or 0)] = cat
        if then is not None:
            then(s, ticket.id or 0)
        audit(
            s,
            at=now,
            actor=actor,
            action="ticket.issue",
            hall_id=hall.id,
            subject=ticket.number,
            detail={"ticket": ticket.id, "category": cat.prefix, "priority": prio.value},
        )
        out.record([ev.TicketIssued(hall.id or 0, ticket.id or 0, cat.id or 0)])
        view = _issued_view(deps, out, config, ticket, cat)
        if ticket.device_id is not None:
            ahead, minutes = view["position"] or 0, view["estimated_wait_minutes"] or 0
            out.printed[ticket.id or 0] = kiosk_ticket(
                deps, hall, ticket, cat, item, ahead, minutes
            )
        return view

    # Another process may take the same number between our read and our write (only possible
    # without the hall lock): the database refuses the duplicate; the citizen retries.
    return run(deps, hall_id, work, settings_only=True, conflict=BUSY)


def _issued_view(
    deps: Deps, out: Outbox, config: views.HallConfig, ticket: Ticket, cat: Category
) -> dict[str, Any]:
    """What the issuer is shown of a ticket: its place, estimated wait and phone page."""
    status = views.QueueStatus(
        out.session, out.hall, out.now, categories=config.categories, windows=config.windows
    )
    view = views.ticket_view(ticket, cat, status=status, include_token=True)
    view["hall"] = views.hall_view(out.hall)
    view["phone_url"] = f"{deps.public_url.rstrip('/')}/t/{ticket.token}"
    return view


def _issued_before(
    deps: Deps,
    out: Outbox,
    config: views.HallConfig,
    ticket_id: int,
    category: Any,
    appointment_id: int | None,
) -> dict[str, Any]:
    """The ticket an earlier request with the same idempotency key made, as it stands now:
    the same category, and for a plain ticket no appointment's (a check-in's key is not a
    ticket's; a late check-in's ticket has lost its appointment)."""
    ticket = out.session.get(Ticket, ticket_id)
    cat = config.category(category)
    if (
        ticket is None
        or ticket.hall_id != out.hall.id
        or ticket.category_id != cat.id
        or ticket.appointment_id not in (None, appointment_id)
    ):
        raise Conflict(
            "该取号请求编号已用于另一张号，请重新取号",
            "This Idempotency-Key was used for another ticket; take a new one",
        )
    return _issued_view(deps, out, config, ticket, cat)
