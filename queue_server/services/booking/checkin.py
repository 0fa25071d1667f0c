"""预约签到: checking a booking in at the kiosk or by staff gives a ticket with appointment
priority, or, for a late arrival, an ordinary one and a notice saying so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ...domain.booking import Booking, BookingState, CheckInTiming, no_such_booking, normalize_code
from ...domain.errors import Conflict, QueueError, Unavailable
from ...domain.model import Hall, Ticket
from .. import access, idempotency
from ..context import Actor, Deps, audit
from ..hours import official_calendar, open_state
from ..issuing import issue_ticket
from ..queue_messages import Outbox
from ..unit_of_work import run
from .records import (
    bookable_schedule,
    bookings_changed,
    hall_of_code,
    hall_zone,
    load_by_code,
    save,
)
from .rules import load_policy
from .view import booking_view


def _late_due(session: Session, hall: Hall, now: datetime) -> datetime | None:
    """For a late citizen while walk-ins are closed but an appointment-only session runs: the
    end of that session, so the ticket is called after those who came on time."""
    state = open_state(hall, now, official_calendar(session))
    if state.open or not state.appointment_only:
        return None
    schedule = bookable_schedule(session, hall)
    is_open, current = schedule.is_open(now)
    if not is_open or current is None:
        return None
    local = schedule.local_time(now)
    return datetime.combine(local.date(), current.end, tzinfo=schedule.hours.zone)


# A check-in a moment ago whose ticket is not issued yet is still under way (its request runs);
# a retry within this time is asked to wait, not refused as "already checked in".
CHECK_IN_UNDER_WAY = timedelta(seconds=30)


@dataclass
class _Claim:
    """What the check-in's first transaction found: the booking and how it arrived, or, for a
    retried request, the ticket its first try made."""

    booking: Booking
    timing: CheckInTiming
    due: datetime | None
    earlier_ticket: int | None = None


def check_in(
    deps: Deps, actor: Actor, hall_id: int, code: Any, idempotency_key: str | None = None
) -> dict[str, Any]:
    """预约签到 at the kiosk or by staff: a ticket with appointment priority, or, for a late
    arrival, an ordinary one and a notice saying so.

    A request that repeats the `idempotency_key` of a recent check-in from the same issuer (a
    retry after a lost reply) gets that check-in's reply again, and nothing changes."""
    key = normalize_code(code)
    request_key = idempotency.check_key(idempotency_key)
    issuer = idempotency.issuer_of(actor) if request_key is not None else None
    if hall_of_code(deps, key) != hall_id:
        raise no_such_booking()

    def claim(out: Outbox) -> _Claim:
        access.require(out.session, actor, out.hall, "ticket.issue")
        booking = load_by_code(out.session, key)
        policy = load_policy(out.session, hall_id)
        if request_key is not None and issuer is not None:
            earlier = idempotency.earlier_ticket(out.session, issuer, request_key, out.now)
            if earlier is not None:
                return _replayed_claim(out, booking, earlier)
            if _under_way(booking, out.now):
                raise Unavailable(
                    "正在为您签到，请稍候", "The check-in is under way; please wait a moment"
                )
        timing = booking.check_in(policy, out.now, hall_zone(out.hall))
        save(out.session, booking)
        audit(out.session, at=out.now, actor=actor, action="booking.check_in", hall_id=hall_id,
              subject=f"booking {booking.id}", detail={"timing": timing.value})  # fmt: skip
        due = (
            booking.slot_start
            if timing == CheckInTiming.ON_TIME
            else _late_due(out.session, out.hall, out.now)
        )
        return _Claim(booking, timing, due)

    claimed = run(deps, hall_id, claim)
    booking, timing = claimed.booking, claimed.timing
    if claimed.earlier_ticket is not None:
        # The first try's ticket, read through the same key: issue_ticket gives it back as it
        # stands now and issues nothing. Naming the booking as the appointment skips the
        # walk-in hours check, which the first try passed already.
        assert claimed.due is not None
        ticket = _issue(deps, actor, hall_id, booking, (booking.id or 0, claimed.due), request_key)
    else:
        appointment = (booking.id or 0, claimed.due) if claimed.due is not None else None
        try:
            ticket = _issue(deps, actor, hall_id, booking, appointment, request_key)
        except QueueError:
            _undo_check_in(deps, hall_id, key)
            raise

    def link(out: Outbox) -> dict[str, Any]:
        current = load_by_code(out.session, key)
        if current.ticket_id != ticket["id"]:
            current.ticket_id = ticket["id"]
            save(out.session, current)
            bookings_changed(out, current)
        policy = load_policy(out.session, hall_id)
        return booking_view(out.session, current, out.hall, policy, staff=True)

    view = run(deps, hall_id, link)
    if timing == CheckInTiming.ON_TIME:
        message = "签到成功，请留意叫号：将在您预约的时间前后优先呼叫"
        message_en = "Checked in. You will be called first around your appointment time"
    else:
        message = "您已超过预约签到时间，预约优先已失效，已为您取普通号，请按顺序等候"
        message_en = (
            "You are past your check-in time, so the appointment priority has lapsed: this is "
            "an ordinary ticket; please wait your turn"
        )
    return {
        **ticket,
        "booking": view,
        "late": timing == CheckInTiming.LATE,
        "message": message,
        "message_en": message_en,
    }


def _under_way(booking: Booking, now: datetime) -> bool:
    """Whether another request is checking this booking in right now (no ticket yet)."""
    return (
        booking.state == BookingState.CHECKED_IN
        and booking.ticket_id is None
        and booking.checked_in_at is not None
        and now - booking.checked_in_at < CHECK_IN_UNDER_WAY
    )


def _replayed_claim(out: Outbox, booking: Booking, ticket_id: int) -> _Claim:
    """A retried check-in: the booking its first try checked in, with that try's ticket; a key
    used for another booking or another request is refused."""
    ticket = out.session.get(Ticket, ticket_id)
    linked = booking.ticket_id == ticket_id
    # The first try may have issued the ticket and stopped before linking it to the booking:
    # the ticket is this booking's when it was issued for it, after its check-in.
    unlinked = (
        ticket is not None
        and booking.state == BookingState.CHECKED_IN
        and booking.ticket_id is None
        and booking.checked_in_at is not None
        and ticket.hall_id == booking.hall_id
        and ticket.category_id == booking.category_id
        and ticket.appointment_id in (None, booking.id)
        and ticket.issued_at >= booking.checked_in_at
    )
    if ticket is None or not (linked or unlinked):
        raise Conflict(
            "该签到请求编号已用于另一次签到或取号，请重新签到",
            "This Idempotency-Key was used for another request; check in again",
        )
    timing = CheckInTiming.LATE if booking.late else CheckInTiming.ON_TIME
    return _Claim(booking, timing, booking.slot_start or out.now, earlier_ticket=ticket_id)


def _issue(
    deps: Deps,
    actor: Actor,
    hall_id: int,
    booking: Booking,
    appointment: tuple[int, datetime] | None,
    idempotency_key: str | None,
) -> dict[str, Any]:
    return issue_ticket(
        deps,
        actor,
        hall_id,
        booking.category_id,
        service_item_id=booking.service_item_id,
        appointment=appointment,
        idempotency_key=idempotency_key,
    )


def _undo_check_in(deps: Deps, hall_id: int, code: str) -> None:
    def work(out: Outbox) -> None:
        booking = load_by_code(out.session, code)
        if booking.state == BookingState.CHECKED_IN and booking.ticket_id is None:
            booking.undo_check_in(out.now)
            save(out.session, booking)

    run(deps, hall_id, work)
