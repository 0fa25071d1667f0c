"""`queue_changed` at most every few hundred milliseconds per hall, instead of once per ticket.

A busy hall issues and calls tickets many times a second; each change used to recompute the
whole hall's waiting counts and estimates inside its transaction. With this throttle (what
`hallq serve` uses) a use case only says, after its commit, that its hall's queue changed. The
first change after a quiet spell is sent at once; further changes within `interval` seconds
are folded into one message sent when the interval is over. Each message is read from the
committed state after the last change it covers, so screens never miss the final figures: a
screen that joins between a read and its send may see that message's older figures after its
snapshot, but the change its snapshot already showed was committed after the read, so its own
message follows within the interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from . import views
from .context import Deps

log = logging.getLogger(__name__)


class QueueChangedThrottle:
    """Sends each hall's `queue_changed` through the bus, at most once per `interval`."""

    def __init__(
        self,
        deps: Deps,
        interval: float = 0.2,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.deps = deps
        self.interval = interval
        self._monotonic = monotonic
        self._cond = threading.Condition()
        self._dirty: set[int] = set()
        self._last_sent: dict[int, float] = {}
        self._thread: threading.Thread | None = None
        self._closed = False

    def touch(self, hall_id: int) -> None:
        """The queue of this hall changed and the change is committed."""
        with self._cond:
            if self._closed:
                return
            self._dirty.add(hall_id)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="queue-changed-throttle", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def close(self) -> None:
        """Stop sending (shutdown, tests)."""
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _due(self) -> list[int] | None:
        """Halls whose message is due now; waits until some are; None once closed."""
        with self._cond:
            while not self._closed:
                now = self._monotonic()
                wait = None
                due = []
                for hall_id in self._dirty:
                    ready_at = self._last_sent.get(hall_id, float("-inf")) + self.interval
                    if ready_at <= now:
                        due.append(hall_id)
                    else:
                        wait = ready_at - now if wait is None else min(wait, ready_at - now)
                if due:
                    for hall_id in due:
                        self._dirty.discard(hall_id)
                        self._last_sent[hall_id] = now
                    # Forget halls that have been quiet a while, so the map stays small.
                    if len(self._last_sent) > 1000:
                        horizon = now - self.interval
                        self._last_sent = {h: t for h, t in self._last_sent.items() if t >= horizon}
                    return sorted(due)
                self._cond.wait(wait)
            return None

    def _run(self) -> None:
        while True:
            due = self._due()
            if due is None:
                return
            for hall_id in due:
                try:
                    self.send(hall_id)
                except Exception:  # one hall's failure must not silence the others
                    log.exception("queue_changed for hall %s failed", hall_id)

    def send(self, hall_id: int) -> None:
        """Read the hall's committed queue figures and publish them now."""
        with self.deps.db.reading(one_snapshot=False) as session:
            # The hall, its categories and windows come from the settings cache (while the
            # hall's settings version stays put); counts are read now, so the figures a screen
            # is left with are the committed ones. Two statements, no transaction around them.
            config = views.hall_config(session, hall_id)
            status = views.QueueStatus(
                session,
                config.hall,
                self.deps.clock.now(),
                categories=config.categories,
                windows=config.windows,
            )
            message = views.queue_changed(status)
        self.deps.bus.publish([message])
