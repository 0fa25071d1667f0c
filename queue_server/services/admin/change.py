"""One configuration change: the hall scope, the audit entry, and the messages its unit of work
(`services/unit_of_work.py`) sends after the commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from ...domain.errors import NotFound
from ...domain.model import Hall, Window
from .. import access, versions, views
from ..bus import Message
from ..context import Actor, Deps, audit
from ..unit_of_work import unit_of_work
from .fields import field_error

R = TypeVar("R")


def _iso(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_iso(v) for v in value]
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    return value


def snapshot(obj: Any, keys: Sequence[str]) -> dict[str, Any]:
    """The audited values of an object."""
    return {key: _iso(getattr(obj, key)) for key in keys}


@dataclass
class Change:
    """The state of one configuration change while its transaction is open."""

    deps: Deps
    session: Session
    actor: Actor
    now: datetime
    permission: str
    windows: set[int] = field(default_factory=set)
    queues: set[int] = field(default_factory=set)
    halls: set[int] = field(default_factory=set)
    removed_windows: list[tuple[int, int]] = field(default_factory=list)
    devices: set[int] = field(default_factory=set)
    messages: list[Message] = field(default_factory=list)

    def hall(self, hall_id: int) -> Hall:
        """A hall where the actor has the change's permission, or a refusal."""
        return access.require_hall(self.session, self.actor, hall_id, self.permission)

    def add_or_load(
        self,
        cls: type,
        object_id: int | None,
        hall_id: int | None,
        missing: tuple[str, str],
        make: Callable[[int], Any],
    ) -> tuple[Any, Hall]:
        """A new object `make` builds for the hall (object_id None) or the stored one, with the
        hall, which the actor must be allowed to change."""
        if object_id is None:
            assert hall_id is not None
            hall = self.hall(hall_id)
            new = make(hall.id or 0)
            self.session.add(new)
            return new, hall
        stored = existing(self.session, cls, object_id, missing)
        return stored, self.hall(stored.hall_id)

    def record(
        self,
        action: str,
        hall_id: int | None,
        subject: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        **extra: Any,
    ) -> None:
        """The audit entry: who (the actor), when (now), what, and the values before and after."""
        detail: dict[str, Any] = {"before": before, "after": after}
        detail.update(extra)
        audit(
            self.session,
            at=self.now,
            actor=self.actor,
            action=action,
            hall_id=hall_id,
            subject=subject[:80],
            detail=_iso(detail),
        )

    def finalize(self) -> None:
        """Build the messages from the final state, inside the transaction."""
        s = self.session
        s.flush()
        for window_id in sorted(self.windows):
            window = s.get(Window, window_id)
            if window is not None:
                view = views.window_view(s, window)
                rooms = [f"hall:{window.hall_id}", f"window:{window.id}"]
                self.messages.extend(Message("window_changed", room, view) for room in rooms)
        for hall_id, window_id in self.removed_windows:
            self.messages.append(Message("window_removed", f"hall:{hall_id}", {"id": window_id}))
        for hall_id in sorted(self.halls):
            hall = s.get(Hall, hall_id)
            if hall is not None:
                payload = {**views.hall_view(hall), "notice": hall.notice}
                self.messages.append(Message("hall_changed", f"hall:{hall_id}", payload))
        if self.deps.queue_changes is None:  # else the deployment's throttle sends them
            for hall_id in sorted(self.queues):
                hall = s.get(Hall, hall_id)
                if hall is not None:
                    status = views.QueueStatus(s, hall, self.now)
                    self.messages.append(views.queue_changed(status))
        if self.devices:
            for hall_id in sorted(self.devices):
                self.messages.append(
                    Message("devices_changed", f"hall:{hall_id}", {"hall": hall_id})
                )
        # Each hall whose screens hear of the change moves its version on.
        halls_told = {
            int(m.room.split(":")[1]) for m in self.messages if m.room.startswith("hall:")
        }
        for hall_id in sorted(halls_told):
            self.messages = versions.tag(self.messages, hall_id, versions.bump(s, hall_id))


@contextmanager
def changing(deps: Deps, actor: Actor, permission: str) -> Iterator[Change]:
    """One configuration change needing `permission` (services/access.py) at each hall it
    touches: a unit of work, whose messages go out once it committed."""
    access.require_anywhere(actor, permission)
    with unit_of_work(deps) as uow:
        # Checks read the stored state; a use case flushes its own changes when it means to.
        uow.session.autoflush = False
        change = Change(deps, uow.session, actor, uow.now, permission)
        yield change
        change.finalize()
        uow.publish(change.messages)
        uow.queues.update(change.queues)


def existing(session: Session, cls: type, object_id: int, missing: tuple[str, str]) -> Any:
    """The stored object with this id, or NotFound with the `missing` message."""
    found = session.get(cls, object_id)
    if found is None:
        raise NotFound(*missing)
    return found


def read_one(
    deps: Deps,
    actor: Actor,
    cls: type,
    object_id: int,
    missing: tuple[str, str],
    view: Callable[[Session, Any], R],
    permission: str,
) -> R:
    """One stored object of a hall where the actor has `permission`, as `view` shows it."""
    access.require_anywhere(actor, permission)
    with deps.db.reading() as session:
        found = existing(session, cls, object_id, missing)
        access.require_hall(session, actor, found.hall_id, permission)
        return view(session, found)


def refuse_taken(
    session: Session, table: Table, own_id: int | None, key: str, zh: str, en: str, /, **values: Any
) -> None:
    """A refusal on field `key` when another row of `table` already holds these values."""
    same = [table.c[column] == value for column, value in values.items()]
    if session.scalar(select(table.c.id).where(*same, table.c.id != (own_id or 0))) is not None:
        raise field_error(key, zh, en)
