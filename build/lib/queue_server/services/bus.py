"""Messages leave hallq only after their transaction committed, through this bus."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """One event for one Socket.IO room (`hall:1`, `window:3`, `ticket:<token>`)."""

    event: str
    room: str
    payload: dict[str, Any] = field(default_factory=dict)
    # The device (a kiosk) whose request made the change: for device workers, never sent.
    device_id: int | None = None
    # What a device worker needs besides (a kiosk ticket's print content), never sent.
    detail: Any = field(default=None, compare=False)


Subscriber = Callable[[list[Message]], None]


class MessageBus:
    """Hands committed messages to every subscriber (sockets, device workers)."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        """Receive every batch of messages from now on."""
        self._subscribers.append(subscriber)

    def publish(self, messages: Iterable[Message]) -> None:
        """Deliver a batch; a failing subscriber is logged and never fails the use case."""
        batch = list(messages)
        if not batch:
            return
        for subscriber in list(self._subscribers):
            try:
                subscriber(batch)
            except Exception:  # a screen or device problem must not undo a committed change
                log.exception("subscriber %r failed", subscriber)


class RecordingBus(MessageBus):
    """A bus that also keeps what it published, for tests."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[Message] = []
        self.subscribe(self.published.extend)

    def events(self, name: str | None = None, room: str | None = None) -> list[Message]:
        """The published messages, filtered by event name and room."""
        return [
            m
            for m in self.published
            if (name is None or m.event == name) and (room is None or m.room == room)
        ]
