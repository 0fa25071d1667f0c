"""The bookings' periodic work: appointments whose day passed become no-shows, due reminders
go out, citizens booked on a day that became a holiday are told to move, and finished
bookings' personal data is erased once the hall's booking policy stops keeping it.

One leased job of the scheduler runs it every minute, on one process of the deployment
however many there are; a manager can also run it at once (`POST /api/v1/bookings/housekeeping`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from ...domain.booking import BookingKind, BookingPolicy, BookingState
from .. import retention, views
from ..context import Deps
from ..notify import LogNotifier, Notifier, deliver
from ..scheduler import periodic
from ..unit_of_work import unit_of_work
from .holidays import notify_holiday_moves
from .notices import reminder_notice
from .records import B, row_to_booking
from .rules import load_policy


def mark_missed(deps: Deps) -> int:
    """Appointments whose day passed without a check-in become no-shows."""
    now = deps.clock.now()
    marked = 0
    with deps.db.reading() as session:
        hall_ids = list(
            session.scalars(
                select(B.c.hall_id)
                .where(B.c.state == BookingState.BOOKED, B.c.kind == BookingKind.APPOINTMENT)
                .where(B.c.day < now.date() + timedelta(days=1))
                .distinct()
            )
        )
    for hall_id in hall_ids:
        with unit_of_work(deps) as uow:
            session = uow.session
            hall = views.get_hall(session, hall_id)
            result = session.execute(
                update(B)
                .where(
                    B.c.hall_id == hall_id,
                    B.c.state == BookingState.BOOKED,
                    B.c.kind == BookingKind.APPOINTMENT,
                    B.c.day < views.today(hall, now),
                )
                .values(state=BookingState.NO_SHOW, updated_at=now)
            )
            marked += int(getattr(result, "rowcount", 0) or 0)
    return marked


def send_due_reminders(deps: Deps, notifier: Notifier | None = None) -> int:
    """Remind citizens of appointments starting within the hall's reminder time (once each)."""
    now = deps.clock.now()
    horizon = now + timedelta(hours=max(BookingPolicy.LIMITS["remind_hours_before"]))
    with deps.db.reading() as session:
        candidates = [
            row_to_booking(row)
            for row in session.execute(
                select(B).where(
                    B.c.state == BookingState.BOOKED,
                    B.c.kind == BookingKind.APPOINTMENT,
                    B.c.reminded_at.is_(None),
                    B.c.slot_start > now,
                    B.c.slot_start <= horizon,
                )
            )
        ]
    sent = 0
    policies: dict[int, BookingPolicy] = {}
    for booking in candidates:
        assert booking.slot_start is not None
        if booking.hall_id not in policies:
            with deps.db.reading() as session:
                policies[booking.hall_id] = load_policy(session, booking.hall_id)
        policy = policies[booking.hall_id]
        ahead = timedelta(hours=policy.remind_hours_before)
        if booking.slot_start - now > ahead or booking.slot_start - booking.created_at <= ahead:
            continue  # not yet; or booked so late that the confirmation is the reminder
        with unit_of_work(deps) as uow:
            session = uow.session
            # Only the process that flips reminded_at sends: one reminder, however many run.
            claimed = session.execute(
                update(B)
                .where(
                    B.c.id == booking.id,
                    B.c.reminded_at.is_(None),
                    B.c.state == BookingState.BOOKED,
                )
                .values(reminded_at=now)
            )
            if not getattr(claimed, "rowcount", 0):
                continue
            hall = views.get_hall(session, booking.hall_id)
            notice = reminder_notice(session, hall, booking, policy)
        if notice is not None:
            sent += deliver(deps, notifier or LogNotifier(), [notice], now)
    return sent


def housekeeping(deps: Deps, notifier: Notifier | None = None) -> dict[str, int]:
    """Do the bookings' periodic work now; how many bookings each part touched."""
    return {
        "missed": mark_missed(deps),
        "reminded": send_due_reminders(deps, notifier),
        "holiday_moves": notify_holiday_moves(deps, notifier),
        "erased": retention.erase_expired_personal_data(deps, kinds=["bookings"])["bookings"],
    }


@periodic("booking_housekeeping", every=timedelta(minutes=1))
def run_booking_housekeeping(deps: Deps) -> dict[str, int]:
    """The scheduler's minute job, with the deployment's notifier (SMS gateway or the log)."""
    return housekeeping(deps, deps.notifier or LogNotifier())
