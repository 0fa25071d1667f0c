"""The bookings' periodic work: appointments whose day passed become no-shows, due reminders
go out, citizens booked on a day that became a holiday are told to move, and finished
bookings' personal data is erased once the hall's booking policy stops keeping it.

One leased job of the scheduler runs it every minute, on one process of the deployment
however many there are; a manager can also run it at once (`POST /api/v1/bookings/housekeeping`).
"""

from __future__ import annotations

from datetime import timedelta

from . import booking, retention
from .context import Deps
from .notify import LogNotifier, Notifier
from .scheduler import periodic


def housekeeping(deps: Deps, notifier: Notifier | None = None) -> dict[str, int]:
    """Do the bookings' periodic work now; how many bookings each part touched."""
    return {
        "missed": booking.mark_missed(deps),
        "reminded": booking.send_due_reminders(deps, notifier),
        "holiday_moves": booking.notify_holiday_moves(deps, notifier),
        "erased": retention.erase_expired_personal_data(deps, kinds=["bookings"])["bookings"],
    }


@periodic("booking_housekeeping", every=timedelta(minutes=1))
def run_booking_housekeeping(deps: Deps) -> dict[str, int]:
    """The scheduler's minute job, with the deployment's notifier (SMS gateway or the log)."""
    return housekeeping(deps, deps.notifier or LogNotifier())
