"""What a queue change tells: the domain events of one hall's unit of work, turned into the
messages for its hall, window and ticket rooms, from the state the change left."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from ..domain import events as ev
from ..domain.model import Category, Hall, Priority, Ticket, Window
from . import views
from .bus import Message

R = TypeVar("R")


@dataclass
class Outbox:
    """Domain events of one transaction, turned into room messages before the commit."""

    session: Session
    hall: Hall
    now: datetime
    events: list[ev.Event] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    queue_touched: bool = False
    moved_categories: set[int] = field(default_factory=set)
    # When set, `queue_changed` is left to the deployment's throttle (services/queue_changes.py),
    # which sends it after the commit at most every few hundred milliseconds per hall.
    queue_changed_later: bool = False
    # Objects the use case wrote without the ORM (the issuing path), for the translation.
    known: dict[tuple[type, int], Any] = field(default_factory=dict)
    # What a kiosk prints of a ticket it issued, by ticket id: handed to the printing with
    # `ticket_issued`, so that it need not read the ticket and its place again.
    printed: dict[int, Any] = field(default_factory=dict)

    def add(self, event: str, rooms: list[str], payload: dict[str, Any]) -> None:
        """Queue one event for several rooms."""
        self.messages.extend(Message(event, room, payload) for room in rooms)

    def record(self, events: list[ev.Event]) -> None:
        """Keep domain events; they are translated once the use case's work is done."""
        self.events.extend(events)

    def get(self, cls: type[R], ident: int | None) -> R | None:
        """An object of this transaction by id: one the use case made itself, or the session's."""
        if ident is None:
            return None
        known = self.known.get((cls, ident))
        return known if known is not None else self.session.get(cls, ident)

    def finalize(self) -> list[Message]:
        """Translate the events from the final state, then add the hall's queue figures and
        the new places of the tickets at the front of each queue that moved."""
        self.session.flush()
        for event in self.events:
            translate(self, event)
        if self.queue_touched and not (self.queue_changed_later and not self.moved_categories):
            status = views.QueueStatus(self.session, self.hall, self.now)
            if not self.queue_changed_later:
                self.messages.append(views.queue_changed(status))
            for category_id in sorted(self.moved_categories):
                front = sorted(
                    status.waiting_in(category_id),
                    key=lambda t: (t.rank(self.now, status.rules), t.sort_key, t.id),
                )[:FRONT_NOTICES]
                for ticket in front:
                    ahead, minutes = status.position_of(ticket)
                    self.messages.append(
                        Message(
                            "ticket_changed",
                            f"ticket:{ticket.token}",
                            {
                                "number": ticket.number,
                                "state": ticket.state.value,
                                "position": ahead,
                                "estimated_wait_minutes": minutes,
                            },
                        )
                    )
        return _last_window_states(self.messages)


def _last_window_states(messages: list[Message]) -> list[Message]:
    """A window's state is sent once per transaction, after the rest: call-next finishes one
    ticket and calls another, and both say the same final `window_changed` (every screen of the
    hall would get it twice). Several windows changed together (the day end) each say theirs."""
    changed = [(i, m) for i, m in enumerate(messages) if m.event == "window_changed"]
    last = {(m.room, m.payload.get("id")): i for i, m in changed}
    return [
        m
        for i, m in enumerate(messages)
        if m.event != "window_changed" or last[(m.room, m.payload.get("id"))] == i
    ]


# Phones of this many tickets at the front of a queue hear of their new place at once; the
# others refresh their place from the ticket API.
FRONT_NOTICES = 10


def translate(out: Outbox, event: ev.Event) -> None:
    """One domain event → messages for the hall, window and ticket rooms."""
    s = out.session
    hall_room = f"hall:{event.hall_id}"
    if isinstance(event, ev.WindowChanged):
        window = s.get(Window, event.window_id)
        if window is not None:
            out.add(
                "window_changed",
                [hall_room, f"window:{window.id}"],
                views.window_view(s, window),
            )
        out.queue_touched = True
        return
    ticket = out.get(Ticket, getattr(event, "ticket_id", 0))
    if ticket is None:
        return
    ticket_room = f"ticket:{ticket.token}"
    category = out.get(Category, ticket.category_id)
    out.queue_touched = True
    if not isinstance(event, ev.TicketIssued) or ticket.priority != Priority.NONE:
        # A ticket left or re-entered a queue, or jumped ahead: places at the front changed.
        out.moved_categories.add(ticket.category_id)
    if isinstance(event, ev.TicketIssued):
        out.messages.append(
            Message(
                "ticket_issued",
                hall_room,
                {"number": ticket.number, "category_id": ticket.category_id},
                device_id=ticket.device_id,
                detail=out.printed.get(ticket.id or 0),
            )
        )
    elif isinstance(event, ev.TicketCalled):
        window = s.get(Window, event.window_id)
        assert window is not None
        payload = views.call_payload(ticket, window, category)
        name = "ticket_recalled" if event.recall else "ticket_called"
        out.add(name, [hall_room, f"window:{window.id}", ticket_room], payload)
        out.add("window_changed", [hall_room, f"window:{window.id}"], views.window_view(s, window))
    elif isinstance(event, ev.TicketFinished | ev.TicketCancelled):
        window_id = event.window_id
        payload = {
            "number": ticket.number,
            "state": ticket.state.value,
            "outcome": ticket.outcome.value if ticket.outcome else None,
            "window_id": window_id or None,
        }
        rooms = [hall_room, ticket_room]
        window = s.get(Window, window_id) if window_id else None
        if window is not None:
            rooms.append(f"window:{window.id}")
        out.add("ticket_finished", rooms, payload)
        if window is not None:
            out.add(
                "window_changed", [hall_room, f"window:{window.id}"], views.window_view(s, window)
            )
    else:
        other_window: int | None = getattr(event, "window_id", None) or getattr(
            event, "from_window_id", None
        )
        window = s.get(Window, other_window) if other_window else None
        out.add(
            "ticket_changed",
            [ticket_room],
            {"number": ticket.number, "state": ticket.state.value},
        )
        if window is not None:
            out.add(
                "window_changed", [hall_room, f"window:{window.id}"], views.window_view(s, window)
            )
