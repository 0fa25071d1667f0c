"""What happened, as the domain reports it; the service layer publishes these after commit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """Something that changed in one hall."""

    hall_id: int


@dataclass(frozen=True)
class TicketIssued(Event):
    """A new ticket joined a queue."""

    ticket_id: int
    category_id: int


@dataclass(frozen=True)
class TicketCalled(Event):
    """A window called a ticket (again, when `recall`)."""

    ticket_id: int
    window_id: int
    recall: bool = False


@dataclass(frozen=True)
class TicketStarted(Event):
    """The citizen reached the window; service is under way."""

    ticket_id: int
    window_id: int


@dataclass(frozen=True)
class TicketFinished(Event):
    """A ticket left the window: done or no-show."""

    ticket_id: int
    window_id: int
    outcome: str


@dataclass(frozen=True)
class TicketHeld(Event):
    """暂离: the ticket is parked at its window."""

    ticket_id: int
    window_id: int


@dataclass(frozen=True)
class TicketReturned(Event):
    """A no-show ticket is back in the queue."""

    ticket_id: int
    category_id: int


@dataclass(frozen=True)
class TicketTransferred(Event):
    """A ticket went back to the queue for another category, window or clerk."""

    ticket_id: int
    from_window_id: int


@dataclass(frozen=True)
class TicketCancelled(Event):
    """A ticket was given up."""

    ticket_id: int
    window_id: int


@dataclass(frozen=True)
class WindowChanged(Event):
    """A window opened, closed, paused, resumed or changed hands."""

    window_id: int
