"""What every use case is given: the database, the clock, the bus, and who is acting."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert
from sqlalchemy.orm import Session

from devices.addresses import DevicePolicy

from ..domain.model import Role
from ..store import tables
from ..store.db import Database
from ..store.statements import DriverStatement
from .bus import MessageBus
from .clock import Clock, SystemClock


def new_ticket_token() -> str:
    """An unguessable token for a citizen's ticket page (96 random bits)."""
    return secrets.token_urlsafe(12)


class QueueChangedSink(Protocol):
    """Sends a hall's `queue_changed` later, coalescing many changes into one message."""

    def touch(self, hall_id: int) -> None:
        """The queue of this hall changed (the transaction has committed)."""


@dataclass
class Deps:
    """The adapters a use case runs with, wired in one place (`bootstrap`)."""

    db: Database
    bus: MessageBus
    clock: Clock = field(default_factory=SystemClock)
    new_token: Callable[[], str] = new_ticket_token
    public_url: str = "http://127.0.0.1:5000"
    # Which device URLs a web user may set (the administrator's lists); refuses all by default.
    devices: DevicePolicy = field(default_factory=DevicePolicy)
    # None: every use case's messages carry its hall's `queue_changed` (tests, single calls).
    queue_changes: QueueChangedSink | None = None
    # How citizens get messages (a `notify.Notifier`: SMS gateway or the log) in periodic work;
    # None: the log.
    notifier: Any = None


@dataclass(frozen=True)
class Actor:
    """Who asks: a signed-in person, a kiosk device, the system, or nobody."""

    kind: str  # "clerk" (any signed-in staff), "device", "system", "anonymous"
    id: int | None = None
    hall_id: int | None = None
    role: Role | None = None
    name: str = ""
    device_kind: str = ""

    @property
    def label(self) -> str:
        """How the audit log names the actor."""
        return f"{self.kind}:{self.id}" if self.id is not None else self.kind

    @property
    def is_staff(self) -> bool:
        """A signed-in member of staff."""
        return self.kind == "clerk"


SYSTEM = Actor("system")
ANONYMOUS = Actor("anonymous")


def audit(
    session: Session,
    *,
    at: datetime,
    actor: Actor,
    action: str,
    hall_id: int | None,
    subject: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one audit entry inside the use case's transaction."""
    # Straight on the transaction's connection: one entry per use case, so it is kept cheap.
    _INSERT_AUDIT.run(
        session.connection(),
        {
            "at": at,
            "hall_id": hall_id,
            "actor": actor.label,
            "action": action,
            "subject": subject,
            "detail": detail or {},
        },
    )


_INSERT_AUDIT = DriverStatement(
    insert(tables.audit_log),
    column_keys=["at", "hall_id", "actor", "action", "subject", "detail"],
)
