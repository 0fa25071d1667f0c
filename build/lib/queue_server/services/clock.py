"""Clocks: the real one, and a fake that tests and simulations move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current time, UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that stands still until moved."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.current = start.astimezone(UTC)

    def now(self) -> datetime:
        """The time it was set to."""
        return self.current

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta's keyword arguments (minutes=5, seconds=30…)."""
        self.current += timedelta(**delta)
        return self.current


class OffsetClock:
    """Real time shifted to read `start` at the real instant `anchor` (default: now).

    Demos and browser tests use it to run "in opening hours" at any hour; a fixed anchor
    keeps the shifted time consistent across restarts.
    """

    def __init__(self, start: datetime, anchor: datetime | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("OffsetClock needs an aware datetime")
        self.offset = start.astimezone(UTC) - (anchor or datetime.now(UTC))

    def now(self) -> datetime:
        """The shifted current time, UTC."""
        return datetime.now(UTC) + self.offset
