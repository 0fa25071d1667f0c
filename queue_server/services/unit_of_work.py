"""One use case, one unit of work.

Every use case that changes something runs the same way: it opens a unit of work (one database
transaction), reads and changes what it needs through `uow.session`, hands the messages its
change should send to `uow.publish`, and leaves. The unit of work commits; only after the commit
do the messages go out on the bus (`services/bus.py`), so no screen, phone or device ever hears
of a change that was rolled back. A failed commit publishes nothing.

Two errors are translated on the way out, so that every use case refuses them the same way:
a busy or unreachable database becomes `Unavailable` (in `store/db.py`), and a unique
constraint another process won the race for becomes the use case's own `Conflict` message.

Queue use cases at one hall run through `run`: the hall is locked, the use case records domain
events on its `Outbox` (`services/queue_messages.py`), and those are turned into room messages
from the final state, tagged with the hall's new version, just before the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain.errors import Conflict
from . import versions, views
from .bus import Message
from .context import Deps
from .queue_messages import Outbox

R = TypeVar("R")


@dataclass
class UnitOfWork:
    """One use case's transaction and what it will tell once committed."""

    deps: Deps
    session: Session
    now: datetime
    messages: list[Message] = field(default_factory=list)
    # Halls whose queue figures changed: with a deployment's throttle, it sends their
    # `queue_changed` after the commit (`services/queue_changes.py`).
    queues: set[int] = field(default_factory=set)

    def publish(self, messages: Iterable[Message]) -> None:
        """Send these messages once the unit of work has committed (never if it rolls back)."""
        self.messages.extend(messages)


@contextmanager
def unit_of_work(deps: Deps, *, conflict: tuple[str, str] | None = None) -> Iterator[UnitOfWork]:
    """Open a unit of work: commit when the block ends without error, then publish.

    `conflict` (Chinese, English) is the refusal when the database turns a write down as a
    duplicate (another process got there first); without it the error passes unchanged."""
    try:
        with deps.db.transaction() as session:
            uow = UnitOfWork(deps, session, deps.clock.now())
            yield uow
    except IntegrityError:
        if conflict is None:
            raise
        raise Conflict(*conflict) from None
    deps.bus.publish(uow.messages)
    if deps.queue_changes is not None:
        for hall_id in sorted(uow.queues):
            deps.queue_changes.touch(hall_id)


def run(
    deps: Deps,
    hall_id: int,
    work: Callable[[Outbox], R],
    *,
    settings_only: bool = False,
    conflict: tuple[str, str] | None = None,
) -> R:
    """Run one queue use case at a hall: lock the hall, work, commit, then publish.

    A use case that only reads the hall's settings (`settings_only`) gets the cached, shared
    hall of `views.hall_config` instead of one loaded into its session: it must not change it.
    """
    with unit_of_work(deps, conflict=conflict) as uow:
        session = uow.session
        deps.db.lock_hall(session, hall_id)
        uow.now = deps.clock.now()  # the time once the hall is ours
        if settings_only:
            hall = views.hall_config(session, hall_id).hall
        else:
            hall = views.get_hall(session, hall_id)
        out = Outbox(session, hall, uow.now, queue_changed_later=deps.queue_changes is not None)
        result = work(out)
        messages = out.finalize()
        if messages:
            messages = versions.tag(messages, hall_id, versions.bump(session, hall_id))
        uow.publish(messages)
        if out.queue_touched:
            uow.queues.add(hall_id)
    return result
