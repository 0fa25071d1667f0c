"""Appointments (预约), one concept per module.

- `rules`: the hall's booking policy, the rule that applies to an item, the ID-number digest.
- `records`: reading and writing booking rows, and the facts every use case needs of a hall.
- `view`: a booking as its holder or staff see it (personal data masked).
- `notices`: the messages to the citizen (confirmation, cancellation, reminder, holiday).
- `availability`: what can be booked: items, days, slots with their free places.
- `citizen`: book, look up, move and cancel by code.
- `checkin`: check in at the kiosk or by staff: a ticket with appointment priority.
- `staff`: the counter's list, a hall's bookings, an agent's bookings, home visits.
- `settings`: a manager's booking rules and policy.
- `ics`: a booking as an iCalendar file.
- `holidays`: booked days that became holidays when the year's official schedule arrived.
- `housekeeping`: the periodic work (no-shows, reminders, holiday notices, erasing).

Every change runs as one transaction under the hall's lock (`unit_of_work.run`), so a slot's places
are counted and taken by one booking at a time: never oversold, on SQLite or PostgreSQL.
Messages to the citizen go out after the commit, through a `notify.Notifier`.

Personal data: the name and phone are kept to serve and to send messages, and erased a while
after the booking ends; the ID number is never kept, only a keyed digest (for the limits) and
its masked form. Views, audit entries, logs and socket events carry masked data or none.
"""

from .rules import _id_key, id_digest

__all__ = ["_id_key", "id_digest"]
